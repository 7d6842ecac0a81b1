"""A checkpoint whose unpickling would run code is refused on every path that
loads one (init_cfg Pretrained, load_from, --resume, tools/test.py, the
converters), in the zip and the legacy pickle format; the refusal names the
file and the payload does not run. Legitimate checkpoints still load."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from sb_testing import build_backbone

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = osp.join(REPO, 'configs', 'demo', 'in1k_sb_demo.py')


class Payload:
    """Unpickling calls ``open(marker, 'w')``: the file appears if it ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def evil(tmp_path, legacy: bool, state=None):
    marker = tmp_path / f'ran_{"legacy" if legacy else "zip"}'
    path = tmp_path / f'evil_{"legacy" if legacy else "zip"}.pth'
    obj = {'state_dict': state or {'conv1.weight': torch.zeros(1)},
           'meta': {'x': Payload(marker)}}
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return path, marker


FORMATS = [False, True]


@pytest.mark.parametrize('legacy', FORMATS)
def test_init_cfg_pretrained_refuses_and_names_the_file(tmp_path, legacy):
    path, marker = evil(tmp_path, legacy)
    model = build_backbone('mmdet', type='SBResNet', depth=18,
                           init_cfg=dict(type='Pretrained',
                                         checkpoint=str(path)))
    import pickle
    with pytest.raises(pickle.UnpicklingError,
                       match=f'refused to load checkpoint {path}'):
        model.init_weights()
    assert not marker.exists()


@pytest.mark.parametrize('legacy', FORMATS)
def test_converter_refuses(tmp_path, legacy):
    path, marker = evil(tmp_path, legacy)
    import pickle

    from sb_mm.converters import load_weights
    with pytest.raises(pickle.UnpicklingError, match=str(path)):
        load_weights(str(path))
    assert not marker.exists()


def test_a_legitimate_mmengine_checkpoint_still_loads(tmp_path):
    """What the Runner writes (HistoryBuffer, numpy scalars in message_hub)
    loads through the same loader, and init_cfg Pretrained takes it."""
    import numpy as np
    from mmengine.logging import HistoryBuffer

    from sb_mm.checkpoint_io import load_checkpoint_file
    model = build_backbone('mmdet', type='SBResNet', depth=18)
    buf = HistoryBuffer()
    buf.update(np.float64(1.5))
    path = tmp_path / 'ok.pth'
    torch.save({'state_dict': model.state_dict(),
                'message_hub': {'log_scalars': {'loss': buf}},
                'meta': {'seed': np.int64(3)}}, path)
    assert load_checkpoint_file(str(path))['meta']['seed'] == 3
    other = build_backbone('mmdet', type='SBResNet', depth=18,
                           init_cfg=dict(type='Pretrained',
                                         checkpoint=str(path)))
    other.init_weights()
    for key, value in model.state_dict().items():
        assert torch.equal(other.state_dict()[key], value), key


def run_all(cwd, cases):
    """``{name: (return code, stdout + stderr)}``: the tools of ``cases``
    (``{name: argv}``) run side by side, one thread each (they spend
    their time starting: imports and the model build)."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    procs = {name: subprocess.Popen(
        [sys.executable, *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True) for name, args in cases.items()}
    done = {}
    try:
        for name, proc in procs.items():
            out, _ = proc.communicate(timeout=900)
            done[name] = (proc.returncode, out)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return done


@pytest.mark.slow
@pytest.mark.parametrize('legacy', FORMATS)
def test_tools_refuse_on_every_path(workspace, legacy):
    """tools/train.py load_from=..., tools/train.py --resume PATH,
    tools/test.py CKPT, and the converters."""
    root = workspace
    train = osp.join(REPO, 'tools', 'train.py')
    tools = {
        'load_from': lambda path: [
            train, DEMO, '--work-dir', str(root / 'w1'), '--cfg-options',
            f'load_from={path}'],
        'resume': lambda path: [
            train, DEMO, '--work-dir', str(root / 'w2'), '--resume',
            str(path)],
        'test.py': lambda path: [
            osp.join(REPO, 'tools', 'test.py'), DEMO, str(path),
            '--work-dir', str(root / 'w3')],
        'converter': lambda path: [
            osp.join(REPO, 'tools', 'model_converters',
                     'mmpretrain2backbone.py'), str(path),
            str(root / 'out.pth')],
    }
    # a checkpoint (and payload marker) of its own a tool: they run at once
    evils, cases = {}, {}
    for name, argv in tools.items():
        folder = root / f'{name}-{legacy}'
        folder.mkdir()
        evils[name] = evil(folder, legacy)
        cases[name] = argv(evils[name][0])
    for name, (returncode, text) in run_all(root, cases).items():
        path, marker = evils[name]
        assert returncode != 0, (name, text[-2000:])
        assert f'refused to load checkpoint {path}' in text, \
            (name, text[-3000:])
        assert not marker.exists(), name
        assert 'Epoch(train)' not in text, name
