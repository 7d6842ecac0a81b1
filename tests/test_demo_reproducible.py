"""`make demo` reproduces: the demo configs fix the seed (and ask for
deterministic algorithms), so two runs give the same weights and metric."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = osp.join(REPO, 'configs', 'demo')


@pytest.mark.parametrize('name', sorted(os.listdir(DEMO)))
def test_demo_configs_fix_the_seed(name):
    cfg = Config.fromfile(osp.join(DEMO, name))
    assert cfg.randomness == dict(seed=0, deterministic=True)


@pytest.mark.slow
def test_two_demo_runs_give_the_same_weights_and_ap(tmp_path):
    from sb_mm.datasets import make_all
    make_all(str(tmp_path / 'data' / 'demo'), small=True)
    outs, states = [], []
    for run in ('a', 'b'):
        work = tmp_path / run
        proc = subprocess.run(
            [sys.executable, osp.join(REPO, 'tools', 'train.py'),
             osp.join(DEMO, 'coco_maskrcnn_sb_demo.py'), '--work-dir',
             str(work), '--cfg-options', 'train_cfg.max_epochs=1',
             'train_cfg.val_interval=1',
             # 4 iterations (16 of the 50 small training pictures)
             'train_dataloader.dataset.indices=16'],
            cwd=tmp_path, capture_output=True, text=True, timeout=900,
            env=dict(os.environ, OMP_NUM_THREADS='2'))
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        outs.append(proc.stdout + proc.stderr)
        states.append(torch.load(work / 'epoch_1.pth',
                                 weights_only=True)['state_dict'])
    for key, value in states[0].items():
        assert torch.equal(states[1][key], value), key
    ap = [re.findall(r'bbox_mAP_copypaste: ([0-9. -]+)', o)[-1] for o in outs]
    assert ap[0] == ap[1]
