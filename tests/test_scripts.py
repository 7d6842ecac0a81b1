"""The launch scripts' argument handling (tools/slurm_*.sh with a stand-in
srun that records its arguments; dist_*.sh usage)."""
import os
import os.path as osp
import subprocess

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture
def fake_srun(tmp_path):
    """An ``srun`` on PATH that writes its arguments, one per line."""
    log = tmp_path / 'srun_args'
    srun = tmp_path / 'bin' / 'srun'
    srun.parent.mkdir()
    srun.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\n')
    srun.chmod(0o755)
    env = dict(os.environ, PATH=f'{srun.parent}:{os.environ["PATH"]}',
               GPUS='4', GPUS_PER_NODE='2', SRUN_ARGS='--qos=low --exclusive',
               PYTHON='python3')
    return env, log


def _run(script, *args, env=None):
    return subprocess.run(['bash', osp.join(REPO, 'tools', script), *args],
                          env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize('script,needed', [('slurm_train.sh', 3),
                                           ('slurm_test.sh', 4)])
def test_slurm_scripts_refuse_missing_arguments(script, needed, fake_srun):
    env, log = fake_srun
    proc = _run(script, *['x'] * (needed - 1), env=env)
    assert proc.returncode == 2 and 'usage:' in proc.stderr
    assert not log.exists()  # nothing was submitted


def test_slurm_train_builds_the_srun_command(fake_srun):
    env, log = fake_srun
    proc = _run('slurm_train.sh', 'dev', 'job one', 'cfg.py', 'work dir',
                '--cfg-options', 'a=1', 'b=two words', env=env)
    assert proc.returncode == 0, proc.stderr
    args = log.read_text().splitlines()
    assert args[:9] == ['-p', 'dev', '--job-name=job one', '--gres=gpu:2',
                        '--ntasks=4', '--ntasks-per-node=2',
                        '--cpus-per-task=5', '--kill-on-bad-exit=1',
                        '--qos=low']
    assert args[9] == '--exclusive'
    assert args[10:] == ['python3', '-u', osp.join(REPO, 'tools', 'train.py'),
                         'cfg.py', '--work-dir=work dir', '--launcher=slurm',
                         '--cfg-options', 'a=1', 'b=two words']
    # without WORK_DIR the flags go to train.py as they are
    _run('slurm_train.sh', 'dev', 'j', 'cfg.py', '--amp', env=env)
    assert log.read_text().splitlines()[-3:] == ['cfg.py', '--launcher=slurm',
                                                 '--amp']


def test_slurm_test_builds_the_srun_command(fake_srun):
    env, log = fake_srun
    proc = _run('slurm_test.sh', 'dev', 'j', 'cfg.py', 'ck pt.pth', '--tta',
                env=env)
    assert proc.returncode == 0, proc.stderr
    args = log.read_text().splitlines()
    assert args[-5:] == [osp.join(REPO, 'tools', 'test.py'), 'cfg.py',
                         'ck pt.pth', '--launcher=slurm', '--tta']
