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
from sb_testing import run_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = osp.join(REPO, 'configs', 'demo')
pytestmark = pytest.mark.slow


def metric(out, name):
    values = re.findall(rf'{re.escape(name)}: (-?[0-9.]+)', out)
    assert values, f'{name} not printed'
    return float(values[-1])


#: one epoch of the detection demo in 4 iterations (16 of the 50 small
#: training pictures; validation on all 10)
DET_EPOCH = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
             'train_dataloader.dataset.indices=16']
CASES = {
    'mmdet': ('coco_maskrcnn_sb_demo.py', DET_EPOCH,
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
    trained = metric(out, key)  # the validation at the end of training
    out = run_tool(workspace, osp.join(REPO, 'tools', 'test.py'),
                   osp.join(DEMO, config), str(work / ckpt),
                   '--work-dir', str(work / 'test'))
    # test.py evaluated that very checkpoint on the same loader (a test.py
    # that kept the random initialisation would print another figure)
    assert metric(out, key) == trained
    assert f'Load checkpoint from {work / ckpt}' in out
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
         str(work), '--cfg-options', *DET_EPOCH],
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
    run_tool(workspace, script,
             osp.join(DEMO, 'coco_maskrcnn_sb_demo.py'),
                   '--work-dir', str(work), '--cfg-options', *DET_EPOCH)
    assert (work / 'epoch_1.pth').is_file()
    # the stock script trained the SB model: its checkpoint has the SB layers
    state = torch.load(work / 'epoch_1.pth')['state_dict']
    sb_keys = [k for k in state if '.sb.' in k]
    assert 'backbone.layer1.0.conv1.sb.mix.weight' in sb_keys
    assert state['backbone.layer1.0.conv2.weight'].shape[1] == 32 + 3


def test_cfg_options_reach_the_built_model(workspace):
    """``--cfg-options`` through train.py's own parser and config loading."""
    import importlib.util

    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope
    spec = importlib.util.spec_from_file_location(
        'sb_train', osp.join(REPO, 'tools', 'train.py'))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    args = train.parse_args([
        osp.join(REPO, 'configs', 'coco_maskrcnn_r50_sb.py'), '--work-dir',
        str(workspace / 'unused'), '--cfg-options',
        'model.backbone.sb_cfg.grid_size=7', 'model.backbone.init_cfg=None',
        'model.backbone.sb_stages=[True,False,False,False]'])
    cfg = train.cli.config_from_args(args)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    assert model.backbone.layer1[0].conv2.sb.grid_size == 7
    assert not hasattr(model.backbone.layer2[0].conv2, 'sb')


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


# -- the README's tool flags --------------------------------------------------
IN1K = osp.join(DEMO, 'in1k_sb_demo.py')
ONE_EPOCH = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1']


@pytest.fixture(scope='module')
def in1k_ckpt(workspace):
    """A 2-epoch in1k demo run; returns its work dir and the output."""
    work = workspace / 'work_dirs' / 'in1k_two_epochs'
    out = run_tool(workspace, osp.join(REPO, 'tools', 'train.py'), IN1K,
                   '--work-dir', str(work), '--cfg-options',
                   'train_cfg.max_epochs=2', 'train_cfg.val_interval=1')
    return work, out


def test_test_out_show_dir_and_tta(workspace, in1k_ckpt):
    work, _ = in1k_ckpt
    ckpt = str(work / 'epoch_2.pth')
    test = osp.join(REPO, 'tools', 'test.py')
    pkl = workspace / 'preds.pkl'
    shows = workspace / 'shows'
    plain = run_tool(workspace, test, IN1K, ckpt, '--work-dir',
                     str(workspace / 'work_dirs' / 't_out'), '--out', str(pkl),
                     '--show-dir', str(shows))
    import mmengine
    preds = mmengine.load(str(pkl))
    n_val = len((workspace / 'data' / 'demo' / 'imagenet' / 'meta' /
                 'val.txt').read_text().split())  // 2
    assert len(preds) == n_val
    assert {'pred_label', 'gt_label'} <= set(preds[0])
    drawn = [f for _, _, fs in os.walk(shows) for f in fs]
    assert len(drawn) == n_val and all(f.endswith('.png') for f in drawn)
    tta_dir = workspace / 'work_dirs' / 't_tta'
    tta = run_tool(workspace, test, IN1K, ckpt, '--work-dir', str(tta_dir),
                   '--tta')
    dumped = Config.fromfile(str(tta_dir / 'in1k_sb_demo.py'))
    assert dumped.model.type == 'AverageClsScoreTTA'
    assert dumped.tta_pipeline[-1].type == 'TestTimeAug'
    metric(tta, 'accuracy/top1')
    metric(plain, 'accuracy/top1')


def test_resume_from_a_given_checkpoint(workspace, in1k_ckpt):
    work, _ = in1k_ckpt
    again = workspace / 'work_dirs' / 'resume_path'
    out = run_tool(workspace, osp.join(REPO, 'tools', 'train.py'), IN1K,
                   '--work-dir', str(again), '--resume',
                   str(work / 'epoch_1.pth'), '--cfg-options',
                   'train_cfg.max_epochs=2', 'train_cfg.val_interval=2')
    assert f'Load checkpoint from {work / "epoch_1.pth"}' in out
    assert 'resumed epoch: 1' in out
    assert not re.search(r'Epoch\(train\)\s+\[1\]', out)
    assert torch.load(again / 'epoch_2.pth')['meta']['epoch'] == 2


def test_default_work_dir_and_auto_scale_lr(workspace):
    out = run_tool(workspace, osp.join(REPO, 'tools', 'train.py'), IN1K,
                   '--auto-scale-lr', '--cfg-options', *ONE_EPOCH)
    work = workspace / 'work_dirs' / 'in1k_sb_demo'
    assert (work / 'epoch_1.pth').is_file()
    # mmpretrain's base batch size is 256; the demo runs 16 x 1 process
    assert 'LR is set based on batch size of 256 and the current batch ' \
        'size is 16' in out
    lrs = re.findall(
        r'Epoch\(train\)\s+\[1\]\[\s*\d+/\d+\]\s+lr: ([0-9.e+-]+)', out)
    assert lrs and float(lrs[0]) == pytest.approx(0.05 * 16 / 256)


def test_amp_on_a_cpu_machine_says_what_to_change(workspace):
    if torch.cuda.is_available():
        pytest.skip('this machine has CUDA: --amp is supported')
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), IN1K, '--amp',
         '--work-dir', str(workspace / 'work_dirs' / 'amp')],
        cwd=workspace, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert '--amp needs a CUDA device' in proc.stderr


def test_amp_sets_the_amp_optim_wrapper(monkeypatch):
    from sb_mm.apis.run_setup import apply_amp
    cfg = Config.fromfile(IN1K)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    apply_amp(cfg)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'


def test_dist_test_two_cpu_processes(workspace, in1k_ckpt):
    work, _ = in1k_ckpt
    ckpt = str(work / 'epoch_2.pth')
    single = metric(run_tool(workspace, osp.join(REPO, 'tools', 'test.py'),
                             IN1K, ckpt, '--work-dir',
                             str(workspace / 'work_dirs' / 't1')),
                    'accuracy/top1')
    env = dict(os.environ, PYTHON=sys.executable, PORT='29618',
               OMP_NUM_THREADS='1')
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_test.sh'), IN1K, ckpt, '2',
         '--work-dir', str(workspace / 'work_dirs' / 't2')],
        cwd=workspace, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'rank 0, world size 2' in out and 'rank 1, world size 2' in out
    # the two ranks' predictions are gathered: the same figure as one process
    assert metric(out, 'accuracy/top1') == single


SYNC_BN = """_base_ = {demo!r}
# the stock ADE20K configs' normalisation
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(backbone=dict(norm_cfg=norm_cfg),
             decode_head=dict(norm_cfg=norm_cfg),
             auxiliary_head=dict(norm_cfg=norm_cfg))
"""
SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2',
         'default_hooks.checkpoint.interval=2']


@pytest.fixture(scope='module')
def sync_bn_config(workspace):
    path = workspace / 'ade20k_syncbn_demo.py'
    path.write_text(SYNC_BN.format(
        demo=osp.join(DEMO, 'ade20k_upernet_sb_demo.py')))
    return str(path)


def test_sync_bn_config_single_cpu_process_runs(workspace, sync_bn_config):
    out = run_tool(workspace, osp.join(REPO, 'tools', 'train.py'),
                   sync_bn_config, '--work-dir',
                   str(workspace / 'work_dirs' / 'syncbn1'),
                   '--cfg-options', *SHORT)
    assert 'SyncBatchNorm (SyncBN) layers in the model will be ' \
        'automatically reverted' in out  # mmengine, not distributed
    metric(out, 'mIoU')


def test_sync_bn_config_two_cpu_processes_say_what_to_change(
        workspace, sync_bn_config):
    """Two CPU processes cannot synchronise BN (torch's SyncBatchNorm
    wants CUDA): the launch stops before building anything and prints the
    --cfg-options that switch the config's SyncBN layers to BN; with them
    the same launch trains."""
    env = dict(os.environ, PYTHON=sys.executable, PORT='29619',
               OMP_NUM_THREADS='1')
    work = workspace / 'work_dirs' / 'syncbn2'

    def launch(*extra):
        proc = subprocess.run(
            ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), sync_bn_config,
             '2', '--work-dir', str(work), '--cfg-options', *SHORT, *extra],
            cwd=workspace, env=env, capture_output=True, text=True,
            timeout=600)
        return proc.returncode, proc.stdout + proc.stderr

    rc, out = launch()
    assert rc != 0
    assert 'SyncBN needs CUDA devices in distributed training' in out
    assert 'model.decode_head.norm_cfg' in out
    assert 'Runner' not in out and not work.exists()  # stopped at once
    fix = re.search(r'--cfg-options (.*)', out).group(1).split()
    assert 'model.backbone.norm_cfg.type=BN' in fix
    rc, out = launch(*fix)
    assert rc == 0, out[-4000:]
    assert 'rank 1, world size 2' in out
    metric(out, 'mIoU')


@pytest.mark.parametrize('config,lib', [
    ('coco_maskrcnn_r50_nl.py', 'mmdet'),
    ('coco_maskrcnn_r50_sb_nl.py', 'mmdet'),
    ('ade20k_upernet_r50_sb_80k.py', 'mmseg'),
])
def test_shipped_configs_build_and_run(config, lib):
    import importlib

    from mmengine.registry import DefaultScope

    from sb_mm.benchmark.models import _TensorModel
    importlib.import_module(f'sb_mm.{lib}')
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    cfg.model.backbone.init_cfg = None
    cfg.model.pop('pretrained', None)
    models = importlib.import_module(f'{lib}.registry').MODELS
    with DefaultScope.overwrite_default_scope(lib):
        model = models.build(cfg.model)
    model.eval()
    backbone = model.backbone
    sb = [n for n, _ in backbone.named_modules() if n.endswith('.sb')]
    nl = [n for n, _ in backbone.named_modules()
          if n.endswith('nonlocal_block')]
    assert (len(sb) == 13) == ('sb' in config.split('_'))
    assert (len(nl) == 6) == ('nl' in config)
    with torch.no_grad():
        outs = _TensorModel(model, lib)(torch.randn(1, 3, 128, 160))
    assert outs is not None
