"""End to end through tools/train.py, tools/test.py and tools/dist_train.sh
on the generated demo data, in all three libraries."""
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
pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A folder holding data/demo (small), used as the working directory."""
    root = tmp_path_factory.mktemp('ws')
    from sb_mm.datasets import make_all
    make_all(str(root / 'data' / 'demo'), small=True)
    return root


def run_tool(cwd, *args, timeout=900):
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='2')
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    return out


def metric(out, name):
    values = re.findall(rf'{re.escape(name)}: (-?[0-9.]+)', out)
    assert values, f'{name} not printed'
    return float(values[-1])


CASES = {
    'mmdet': ('coco_maskrcnn_sb_demo.py',
              ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1'],
              'coco/bbox_mAP', 'epoch_1.pth'),
    'mmseg': ('ade20k_upernet_sb_demo.py',
              ['train_cfg.max_iters=4', 'train_cfg.val_interval=4',
               'default_hooks.checkpoint.interval=4'],
              'mIoU', 'iter_4.pth'),
    'mmpretrain-in1k': ('in1k_sb_demo.py',
                        ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1'],
                        'accuracy/top1', 'epoch_1.pth'),
    'mmpretrain-cifar': ('cifar100_sb_demo.py',
                         ['train_cfg.max_epochs=1',
                          'train_cfg.val_interval=1'],
                         'accuracy/top1', 'epoch_1.pth'),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_train_then_test(workspace, case):
    config, options, key, ckpt = CASES[case]
    work = workspace / 'work_dirs' / case
    out = run_tool(workspace, osp.join(REPO, 'tools', 'train.py'),
                   osp.join(DEMO, config), '--work-dir', str(work),
                   '--cfg-options', *options)
    assert (work / ckpt).is_file()
    out = run_tool(workspace, osp.join(REPO, 'tools', 'test.py'),
                   osp.join(DEMO, config), str(work / ckpt),
                   '--work-dir', str(work / 'test'))
    value = metric(out, key)
    assert 0.0 <= value <= 100.0
    if case == 'mmdet':
        metric(out, 'coco/segm_mAP')


def test_resume_continues_at_epoch_2(workspace):
    work = workspace / 'work_dirs' / 'resume'
    args = [osp.join(REPO, 'tools', 'train.py'),
            osp.join(DEMO, 'in1k_sb_demo.py'), '--work-dir', str(work)]
    run_tool(workspace, *args, '--cfg-options', 'train_cfg.max_epochs=1',
             'train_cfg.val_interval=1')
    out = run_tool(workspace, *args, '--resume', '--cfg-options',
                   'train_cfg.max_epochs=2', 'train_cfg.val_interval=2')
    assert 'resumed epoch: 1' in out
    assert re.search(r'Epoch\(train\)\s+\[2\]', out)
    assert not re.search(r'Epoch\(train\)\s+\[1\]', out)
    assert torch.load(work / 'epoch_2.pth')['meta']['epoch'] == 2


def test_missing_data_root_is_named(tmp_path):
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'),
         osp.join(DEMO, 'coco_maskrcnn_sb_demo.py')],
        cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "data_root 'data/demo/coco/' does not exist" in proc.stderr


def test_unreadable_checkpoint_is_named(workspace, tmp_path):
    bad = tmp_path / 'bad.pth'
    bad.write_bytes(b'this is not a checkpoint')
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'test.py'),
         osp.join(DEMO, 'in1k_sb_demo.py'), str(bad)],
        cwd=workspace, capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'not a readable torch checkpoint' in proc.stderr


def test_dist_train_two_cpu_processes(workspace):
    work = workspace / 'work_dirs' / 'dist'
    env = dict(os.environ, PYTHON=sys.executable, PORT='29617',
               OMP_NUM_THREADS='1')
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'),
         osp.join(DEMO, 'coco_maskrcnn_sb_demo.py'), '2', '--work-dir',
         str(work), '--cfg-options', 'train_cfg.max_epochs=1',
         'train_cfg.val_interval=1'],
        cwd=workspace, env=env, capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    # both ranks took part (mmengine logs the world size as 'GPU number')
    assert 'rank 0, world size 2' in out and 'rank 1, world size 2' in out
    assert 'GPU number: 2' in out and 'Distributed training: True' in out
    assert (work / 'epoch_1.pth').is_file()
    metric(out, 'coco/bbox_mAP')


def test_stock_mmdet_train_script_runs_demo_config(workspace):
    import mmdet
    script = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools',
                      'train.py')
    work = workspace / 'work_dirs' / 'stock_mmdet'
    out = run_tool(workspace, script,
                   osp.join(DEMO, 'coco_maskrcnn_sb_demo.py'),
                   '--work-dir', str(work), '--cfg-options',
                   'train_cfg.max_epochs=1', 'train_cfg.val_interval=1')
    assert (work / 'epoch_1.pth').is_file()
    assert "'SBResNet'" in out or 'SBResNet' in (
        work / 'coco_maskrcnn_sb_demo.py').read_text()


def test_cfg_options_reach_the_built_model(workspace):
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'coco_maskrcnn_r50_sb.py'))
    cfg.merge_from_dict({'model.backbone.sb_cfg': dict(grid_size=7),
                         'model.backbone.init_cfg': None})
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    assert model.backbone.layer1[0].conv2.sb.grid_size == 7


def test_sb_config_differs_from_stock_only_in_backbone(tmp_path):
    # the stock config, read the same way (through the mmdet:: prefix)
    (tmp_path / 'stock.py').write_text(
        "_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'\n")
    stock = Config.fromfile(str(tmp_path / 'stock.py')).to_dict()
    ours = Config.fromfile(osp.join(
        REPO, 'configs', 'coco_maskrcnn_r50_sb.py')).to_dict()
    assert ours.pop('custom_imports') == dict(imports=['sb_mm.mmdet'],
                                              allow_failed_imports=False)
    ours_backbone = ours['model'].pop('backbone')
    stock_backbone = stock['model'].pop('backbone')
    assert ours_backbone.pop('type') == 'SBResNet'
    assert stock_backbone.pop('type') == 'ResNet'
    assert ours_backbone == stock_backbone
    assert ours == stock
