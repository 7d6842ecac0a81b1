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
            if isinstance(labels, list):
                labels = torch.stack(labels)
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
    logs = (tmp_path / runner.timestamp /
            f'{runner.timestamp}.log').read_text()
    assert 'resumed epoch: 2' in logs


_LOAD = r'''
import sys
import torch
if sys.argv[2] == 'with-sb_mm':
    import sb_mm  # noqa: F401  (the import applies the allow-list)
print('epoch', torch.load(sys.argv[1])['meta']['epoch'])
'''


def test_mmengine_checkpoint_needs_the_allow_list(tmp_path):
    """In a fresh process (nothing else has touched torch's safe globals),
    torch.load refuses mmengine's own checkpoint without sb_mm's import-time
    shim and loads it with it."""
    import subprocess
    import sys
    _runner(tmp_path, 1).train()
    path = str(tmp_path / 'epoch_1.pth')
    runs = {mode: subprocess.run([sys.executable, '-c', _LOAD, path, mode],
                                 capture_output=True, text=True, timeout=120)
            for mode in ('plain', 'with-sb_mm')}
    assert runs['plain'].returncode != 0
    assert 'Weights only load failed' in runs['plain'].stderr
    assert 'HistoryBuffer' in runs['plain'].stderr \
        or 'numpy' in runs['plain'].stderr
    assert runs['with-sb_mm'].returncode == 0, runs['with-sb_mm'].stderr
    assert runs['with-sb_mm'].stdout.strip() == 'epoch 1'


class _Exploit:
    """Unpickling this would run a shell command."""

    def __reduce__(self):
        return (os.system, ('touch pwned_by_checkpoint',))


def test_checkpoint_that_runs_code_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': {'x': _Exploit()}}, bad)
    from mmengine.runner.checkpoint import _load_checkpoint
    with pytest.raises(pickle.UnpicklingError,
                       match=r'(?s)refused to load checkpoint .*evil\.pth.*'
                       r'GLOBAL (posix|os|nt)\.system'):
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


_KILL_WHILE_POINTING = r'''
import builtins, os, signal, sys
sys.path.insert(0, sys.argv[3])
from test_compat import _runner  # imports sb_mm: the shims are applied
import mmengine.hooks.checkpoint_hook as hook_module
# 'stock': what mmengine does without sb_mm's shim
inner = hook_module.open if sys.argv[2] == 'shim' else builtins.open


class Dying:
    """Writes a few characters of the epoch-2 pointer, then SIGKILL."""

    def __init__(self, f):
        self.f = f

    def __enter__(self):
        self.f.__enter__()
        return self

    def __exit__(self, *exc):
        return self.f.__exit__(*exc)

    def write(self, text):
        if 'epoch_2' in text:
            self.f.write(text[:3])
            self.f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return self.f.write(text)


def dying_open(path, mode='r', *args, **kwargs):
    f = inner(path, mode, *args, **kwargs)
    return Dying(f) if str(path).endswith('last_checkpoint') else f


hook_module.open = dying_open
_runner(sys.argv[1], 3).train()
'''


@pytest.mark.parametrize('mode', ['shim', 'stock'])
def test_run_killed_while_writing_last_checkpoint(tmp_path, mode):
    """A real Runner killed while it writes ``last_checkpoint``: with the
    shim the pointer still names the previous checkpoint and ``--resume``
    continues from it; mmengine's own write leaves a broken pointer."""
    import subprocess
    import sys
    work = tmp_path / 'work'
    proc = subprocess.run(
        [sys.executable, '-c', _KILL_WHILE_POINTING, str(work), mode,
         os.path.dirname(os.path.abspath(__file__))],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr[-3000:]
    pointer = (work / 'last_checkpoint').read_text()
    if mode == 'stock':
        assert not pointer.endswith('.pth')  # the reason the shim exists
        return
    assert pointer == str(work / 'epoch_1.pth')
    runner = _runner(work, 3, resume=True)
    runner.train()
    logs = (work / runner.timestamp / f'{runner.timestamp}.log').read_text()
    assert 'resumed epoch: 1' in logs
    assert runner.train_loop.epoch == 3


def test_disk_full_during_a_save_keeps_the_previous_checkpoint(
        tmp_path, monkeypatch):
    """A save that fails half-way (the disk fills while epoch_2.pth is
    written) leaves epoch_1.pth and last_checkpoint as they were, no
    temporary file, and an error that names the file and the reason."""
    import errno
    real_fsync = os.fsync

    def fsync(fd):
        if '.epoch_2.pth.' in os.readlink(f'/proc/self/fd/{fd}'):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, 'fsync', fsync)
    with pytest.raises(OSError, match=r'could not write .*epoch_2\.pth '
                       r'\(No space left on device\); nothing was replaced'):
        _runner(tmp_path, 2).train()
    files = [f for f in os.listdir(tmp_path) if os.path.isfile(tmp_path / f)
             and not f.endswith(('.json', '.py'))]  # the run's dumped config
    assert sorted(files) == ['epoch_1.pth', 'last_checkpoint'], files
    assert (tmp_path / 'last_checkpoint').read_text().endswith('epoch_1.pth')
    state = torch.load(tmp_path / 'epoch_1.pth', weights_only=True)
    assert state['meta']['epoch'] == 1


def test_local_checkpoint_loader_names_a_refused_file(tmp_path, monkeypatch):
    """Shim 4: every mmengine load of a local file (init_cfg Pretrained,
    load_from, --resume) goes through a weights-only loader whose refusal
    names the file; mmengine's own refuses (torch's default) without
    saying which file, and would load anything if torch's default were
    switched off (TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD)."""
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': {'x': _Exploit()}}, bad)
    from mmengine.runner.checkpoint import CheckpointLoader
    with pytest.raises(pickle.UnpicklingError) as info:
        CheckpointLoader.load_checkpoint(str(bad), map_location='cpu')
    assert f'refused to load checkpoint {bad}' in str(info.value)
    with pytest.raises(pickle.UnpicklingError) as info:
        compat.ORIGINALS['CheckpointLoader.local'](str(bad), 'cpu')
    assert str(bad) not in str(info.value)
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(str(bad), map_location='cpu')
    assert not (tmp_path / 'pwned_by_checkpoint').exists()
    # the payload (a harmless `touch` in tmp_path) runs through mmengine's
    # own loader once that variable is set
    compat.ORIGINALS['CheckpointLoader.local'](str(bad), 'cpu')
    assert (tmp_path / 'pwned_by_checkpoint').exists()


def test_revert_sync_batchnorm_keeps_the_split_sb_norm():
    """Shim 5: an SB backbone built with SyncBN, reverted by mmengine (as
    mmseg's init_model and the inferencers do on a CPU), computes what the
    same backbone built with BN computes; mmengine's own _BatchNormXd
    forward fails on it."""
    from mmengine.model import revert_sync_batchnorm
    from mmengine.model.utils import _BatchNormXd
    from sb_testing import assert_same_features, build_backbone
    torch.manual_seed(0)
    bn = build_backbone('mmseg', type='SBResNetV1c', depth=18,
                        norm_cfg=dict(type='BN'))
    sync = build_backbone('mmseg', type='SBResNetV1c', depth=18,
                          norm_cfg=dict(type='SyncBN'))
    sync.load_state_dict(bn.state_dict())
    reverted = revert_sync_batchnorm(sync)
    assert_same_features(bn, reverted, torch.randn(2, 3, 64, 64))
    norm = reverted.layer1[0].bn1
    assert type(norm) is _BatchNormXd and hasattr(norm, 'sb_norm')
    with pytest.raises(RuntimeError, match='running_mean should contain'):
        compat.ORIGINALS['_BatchNormXd.forward'](
            norm, torch.randn(2, norm.num_features + 3, 8, 8))
