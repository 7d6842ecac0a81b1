"""Each shim in sb_mm.compat, and a test that fails without it."""
import os
import pickle

import pytest
import torch
import torch.nn as nn
from mmengine.fileio.backends.local_backend import LocalBackend
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from sb_mm import compat


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, inputs, labels=None, mode='tensor'):
        inputs = torch.stack(inputs) if isinstance(inputs, list) else inputs
        out = self.linear(inputs)
        if mode == 'loss':
            labels = torch.stack(labels) if isinstance(labels, list) else labels
            return dict(loss=((out.squeeze(-1) - labels)**2).mean())
        return out


class ToyData(Dataset):

    def __len__(self):
        return 16

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        x = torch.randn(4, generator=g)
        return dict(inputs=x, labels=x.sum())


def _runner(work_dir, max_epochs, resume=False):
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=ToyData(), sampler=dict(type='DefaultSampler',
                                            shuffle=True),
            batch_size=4, num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1)),
        resume=resume,
        randomness=dict(seed=0),
        experiment_name=f'toy_{max_epochs}_{resume}')


def test_resume_continues_from_epoch_2(tmp_path):
    _runner(tmp_path, 2).train()
    assert (tmp_path / 'epoch_2.pth').is_file()
    runner = _runner(tmp_path, 3, resume=True)
    runner.train()
    # resumed from epoch 2 and trained exactly one more epoch
    assert runner.train_loop.epoch == 3
    assert runner.train_loop.iter == 12  # 3 epochs x 4 iterations
    ckpt = torch.load(tmp_path / 'epoch_3.pth', map_location='cpu')
    assert ckpt['meta']['epoch'] == 3
    logs = (tmp_path / runner.timestamp / f'{runner.timestamp}.log').read_text()
    assert 'resumed epoch: 2' in logs


def test_mmengine_checkpoint_needs_the_allow_list(tmp_path):
    _runner(tmp_path, 1).train()
    path = tmp_path / 'epoch_1.pth'
    torch.serialization.clear_safe_globals()
    try:
        with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer|numpy'):
            torch.load(path)
    finally:
        compat._allow_mmengine_checkpoints()
    assert torch.load(path)['meta']['epoch'] == 1


class _Exploit:
    """Unpickling this would run a shell command."""

    def __reduce__(self):
        return (os.system, ('touch pwned_by_checkpoint',))


def test_checkpoint_that_runs_code_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': {'x': _Exploit()}}, bad)
    from mmengine.runner.checkpoint import _load_checkpoint
    with pytest.raises(pickle.UnpicklingError):
        _load_checkpoint(str(bad), map_location='cpu')
    assert not (tmp_path / 'pwned_by_checkpoint').exists()


def test_checkpoint_writes_are_atomic(tmp_path):
    target = tmp_path / 'epoch_1.pth'
    target.write_bytes(b'good old checkpoint')
    # a write that dies half-way (here: wrong payload type)...
    with pytest.raises(TypeError):
        LocalBackend().put('not bytes', target)
    # ...leaves the old file whole and no temporary file behind
    assert target.read_bytes() == b'good old checkpoint'
    assert os.listdir(tmp_path) == ['epoch_1.pth']
    # mmengine's own put truncated it: the reason the shim exists
    with pytest.raises(TypeError):
        compat.ORIGINALS['LocalBackend.put'](LocalBackend(), 'not bytes',
                                             target)
    assert target.read_bytes() == b''
    LocalBackend().put_text('epoch_2.pth', tmp_path / 'last_checkpoint')
    assert (tmp_path / 'last_checkpoint').read_text() == 'epoch_2.pth'


class _GetattrExploit:
    """Reaches a method of an allowed type through getattr (here
    ``ndarray.tofile``, which writes files), as a crafted checkpoint could."""

    def __reduce__(self):
        import builtins

        import numpy as np
        return (builtins.getattr, (np.ndarray, 'tofile'))


def test_getattr_in_a_checkpoint_is_restricted(tmp_path):
    bad = tmp_path / 'getattr.pth'
    torch.save({'meta': {'x': _GetattrExploit()}}, bad)
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        torch.load(bad)
