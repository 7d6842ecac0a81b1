"""A killed training loses nothing: tools/train.py killed with SIGKILL after
a checkpoint, or in the middle of writing one, and restarted with
``--resume`` ends with the uninterrupted run's weights, bit for bit, in an
epoch-based (MMDetection) and an iteration-based (MMSegmentation) loop.
Both models draw random numbers in the main process (RPN / RoI samplers;
the decode head's dropout), so a resume that reseeded instead of restoring
the generators' states would end elsewhere (RandomStateHook)."""
import math
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import pytest
import torch
from sb_testing import run_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = osp.join(REPO, 'configs', 'demo')
TRAIN = osp.join(REPO, 'tools', 'train.py')
pytestmark = pytest.mark.slow

# name -> (config, --cfg-options, checkpoint of step k, final checkpoint)
LOOPS = {
    'epoch-mmdet': ('coco_maskrcnn_sb_demo.py',
                    ['train_cfg.max_epochs=2', 'train_cfg.val_interval=1',
                     'default_hooks.checkpoint.max_keep_ckpts=-1',
                     # workers started each epoch: their generators are
                     # seeded per epoch, not carried (README)
                     'train_dataloader.persistent_workers=False',
                     # 4 iterations an epoch (of the 50 small training
                     # pictures): what resuming needs is epochs, not length
                     'train_dataloader.dataset.indices=16',
                     # one validation batch: it stays (it draws from the
                     # global generator between the epochs) but short
                     'val_dataloader.dataset.indices=4'],
                    'epoch_{}.pth', 'epoch_2.pth'),
    'iter-mmseg': ('ade20k_upernet_sb_demo.py',
                   ['train_cfg.max_iters=4', 'train_cfg.val_interval=2',
                    'default_hooks.checkpoint.interval=2'],
                   'iter_{}.pth', 'iter_4.pth'),
}
STEP = {'epoch-mmdet': 1, 'iter-mmseg': 2}  # the first checkpoint's step

# Runs tools/train.py in this process, killed with SIGKILL while the
# checkpoint named in argv[1] is being written: half its bytes are on disk
# (in the temporary file) when the process dies.
_KILL_WHILE_SAVING = r'''
import os, runpy, signal, sys
name = sys.argv.pop(1)
real_fsync = os.fsync
def fsync(fd):
    path = os.readlink(f'/proc/self/fd/{fd}')
    # sb_mm's temporary file (or the file itself, were the write not atomic)
    if os.path.basename(path).startswith((f'.{name}.', name)):
        os.ftruncate(fd, os.fstat(fd).st_size // 2)
        os.kill(os.getpid(), signal.SIGKILL)
    return real_fsync(fd)
os.fsync = fsync
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
'''


def _env():
    return dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='2')


def _args(loop, work):
    config, options, _, _ = LOOPS[loop]
    return [TRAIN, osp.join(DEMO, config), '--work-dir', str(work),
            '--cfg-options', *options]


def _weights(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def assert_same_run(a, b):
    """Same model weights and buffers, same optimizer state, bit for bit."""
    ca, cb = _weights(a), _weights(b)
    assert ca['state_dict'].keys() == cb['state_dict'].keys()
    differ = [k for k in ca['state_dict']
              if not torch.equal(ca['state_dict'][k], cb['state_dict'][k])]
    assert not differ, f'{len(differ)} tensors differ, e.g. {differ[:3]}'
    sa, sb = ca['optimizer']['state'], cb['optimizer']['state']
    assert sa and sa.keys() == sb.keys()
    assert all(torch.equal(sa[p][k], sb[p][k]) for p in sa for k in sa[p]
               if torch.is_tensor(sa[p][k]))  # e.g. SGD momentum buffers
    assert ca['meta']['iter'] == cb['meta']['iter']


@pytest.fixture(scope='module')
def uninterrupted(workspace):
    """loop -> final checkpoint of a run that was never stopped."""
    finals = {}
    for loop, (_, _, _, final) in LOOPS.items():
        work = workspace / 'work_dirs' / f'{loop}-whole'
        run_tool(workspace, *_args(loop, work))
        finals[loop] = work / final
    return finals


def _resume(workspace, loop, work):
    out = run_tool(workspace, *_args(loop, work), '--resume')
    resumed = re.findall(r'resumed epoch: (\d+), iter: (\d+)', out)
    assert len(resumed) == 1, out[-3000:]
    return out, tuple(int(v) for v in resumed[0])


@pytest.mark.parametrize('loop', sorted(LOOPS))
def test_sigkill_after_a_checkpoint_then_resume(workspace, uninterrupted,
                                                loop):
    _, _, pattern, final = LOOPS[loop]
    work = workspace / 'work_dirs' / f'{loop}-killed'
    first = str(work / pattern.format(STEP[loop]))
    proc = subprocess.Popen([sys.executable, *_args(loop, work)],
                            cwd=workspace, env=_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    pointer = work / 'last_checkpoint'
    deadline = time.monotonic() + 600
    while not (pointer.is_file() and pointer.read_text() == first):
        assert proc.poll() is None, 'the run ended before its first checkpoint'
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the trainer and its data workers
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert not (work / final).exists()  # it was stopped part-way
    last = pointer.read_text()
    step = int(re.search(r'_(\d+)\.pth$', last).group(1))

    _, (epoch, it) = _resume(workspace, loop, work)
    assert (epoch if loop.startswith('epoch') else it) == step
    assert_same_run(uninterrupted[loop], work / final)


@pytest.mark.parametrize('loop', sorted(LOOPS))
def test_sigkill_while_writing_a_checkpoint_then_resume(
        workspace, uninterrupted, loop):
    """Killed half-way through writing the second checkpoint: the first
    stays the last complete one, ``--resume`` continues from it, names the
    partial file, and the run still ends where the uninterrupted one did."""
    _, _, pattern, final = LOOPS[loop]
    work = workspace / 'work_dirs' / f'{loop}-killed-saving'
    second = pattern.format(2 * STEP[loop])
    proc = subprocess.run(
        [sys.executable, '-c', _KILL_WHILE_SAVING, second,
         *_args(loop, work)], cwd=workspace, env=_env(),
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    assert not (work / second).exists()
    partial = [f for f in os.listdir(work) if f.startswith(f'.{second}.')]
    assert len(partial) == 1  # the half-written temporary file
    first = pattern.format(STEP[loop])
    assert (work / 'last_checkpoint').read_text() == str(work / first)

    out, (epoch, it) = _resume(workspace, loop, work)
    assert (epoch if loop.startswith('epoch') else it) == STEP[loop]
    assert f'{partial[0]}' in out and 'partial checkpoint' in out
    assert_same_run(uninterrupted[loop], work / final)


def test_killed_worker_ends_a_two_process_cpu_job(workspace):
    """tools/dist_train.sh on 2 CPU processes (gloo), rank 1 killed with
    SIGKILL mid-training: the launcher stops rank 0, exits non-zero within
    20 s naming the rank and the signal, and within 20 s more no process of
    the job (ranks, data workers) is left. Measured here: about 1 s, then
    about 5 s until the data workers notice their parent is gone."""
    work = workspace / 'work_dirs' / 'dist-killed'
    env = dict(_env(), PYTHON=sys.executable, PORT='29627',
               OMP_NUM_THREADS='1')
    log = workspace / 'dist-killed.log'
    with open(log, 'w') as out:
        proc = subprocess.Popen(
            ['bash', osp.join(REPO, 'tools', 'dist_train.sh'),
             osp.join(DEMO, 'in1k_sb_demo.py'), '2', '--work-dir', str(work),
             '--cfg-options', 'train_cfg.max_epochs=200'],
            cwd=workspace, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while 'Epoch(train)' not in log.read_text():
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline
            time.sleep(0.2)
        job = _descendants(proc.pid)  # ranks start their own sessions
        rank1 = [pid for pid, parent in job.items()
                 if 'RANK=1' in _environ(pid)
                 and 'RANK=1' not in _environ(parent)]  # not its data worker
        assert len(rank1) == 1, job
        os.kill(rank1[0], signal.SIGKILL)
        killed = time.monotonic()
        rc = proc.wait(timeout=20)
        ended = time.monotonic()
        while _alive(job) and time.monotonic() - ended < 20:
            time.sleep(0.2)
        left = _alive(job)
    finally:
        for pid in [proc.pid, *_alive(_descendants(proc.pid))]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    text = log.read_text()
    assert rc != 0 and ended - killed < 20
    assert 'rank      : 1' in text and 'Signal 9 (SIGKILL)' in text
    assert not left, f'left behind: {left}'
    # and it was one job of two processes, as sb_mm's CPU launcher set it
    # up (gloo, DDP without device ids): the Runner distributed, each rank
    # on half of the pictures (an epoch has half the iterations of a
    # one-process run)
    for rank in (0, 1):
        assert (f'sb_mm: distributed on CPU with gloo, rank {rank}, world '
                f'size 2') in text
    # the Runner itself distributed (DDP: gradients synchronised), not two
    # processes that each train alone on their half
    assert re.search(r'Distributed launcher: pytorch\s', text)
    assert re.search(r'Distributed training: True\s', text)
    pictures = len((workspace / 'data' / 'demo' / 'imagenet' / 'meta' /
                    'train.txt').read_text().splitlines())
    iters = re.findall(r'Epoch\(train\) +\[1\]\[ *\d+/(\d+)\]', text)
    assert iters and {int(n) for n in iters} == {
        math.ceil(pictures / 2 / 16)}, (iters, pictures)


def _processes():
    """pid -> (parent pid, state) of every process."""
    table = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat') as f:
                    fields = f.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            table[int(entry)] = (int(fields[1]), fields[0])
    return table


def _descendants(root):
    """pid -> parent pid of every process below ``root``."""
    table, found, todo = _processes(), {}, [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, _) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = parent
                todo.append(pid)
    return found


def _alive(pids):
    """Those of ``pids`` still running (zombies count as gone)."""
    table = _processes()
    return [p for p in pids if p in table and table[p][1] != 'Z']


def _environ(pid):
    try:
        with open(f'/proc/{pid}/environ', 'rb') as f:
            return f.read().replace(b'\0', b'\n').decode(errors='replace') \
                .splitlines()
    except OSError:
        return []
