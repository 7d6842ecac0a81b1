"""The demo data: deterministic, and GeneratedCIFAR100 never downloads."""
import filecmp
import os

import pytest


def _tree_files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def test_make_demo_data_is_deterministic(tmp_path):
    from sb_mm.datasets import make_all
    make_all(str(tmp_path / 'a'), small=True)
    make_all(str(tmp_path / 'b'), small=True)
    files = _tree_files(tmp_path / 'a')
    assert files == _tree_files(tmp_path / 'b') and len(files) > 100
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / 'a', tmp_path / 'b',
                                           files, shallow=False)
    assert not mismatch and not errors


def test_generated_cifar100_refuses_to_download(tmp_path):
    from sb_mm.datasets import make_cifar100
    from sb_mm.mmpretrain import GeneratedCIFAR100
    with pytest.raises(ValueError, match='never downloads'):
        GeneratedCIFAR100(data_root=str(tmp_path), download=True)
    root = make_cifar100(str(tmp_path / 'c'), num_train=6, num_test=3)
    ds = GeneratedCIFAR100(data_root=root, split='test')
    assert len(ds) == 3 and [ds.get_cat_ids(i)[0] for i in range(3)] == \
        [0, 1, 2]
