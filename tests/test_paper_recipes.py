"""The paper's recipes as configs (configs/paper/, docs/en/reproduce.md):
every setting of the authors' published timm command compared with what the
config resolves to; the chain's dry run (every config trains 2 iterations,
each downstream backbone loads its pretraining checkpoint with no missing
or unexpected key: paper_chain.py's check_backbone_loads); the GPU script's
CPU fallback."""
import math
import os
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PAPER = osp.join(REPO, 'configs', 'paper')

#: the authors' command (timm train.py), as published with their code
AUTHORS = dict(
    gpus=4, batch_per_gpu=256, opt='lamb', lr=3.5e-3, warmup_lr=1e-4,
    warmup_epochs=5,  # timm's default: not on their command line
    weight_decay=0.02, sched='cosine', min_lr=1e-6, epochs=300,
    bce_loss=True, smoothing=0.0, mixup=0.1, cutmix=1.0,
    aa='rand-m7-mstd0.5-inc1', aug_repeats=3, reprob=0.0, drop_path=0.05,
    crop_pct=0.95, img_size=224, amp=True, channels_last=True,
    sync_bn=False)

PRETRAIN = {
    'in1k_r50_8xb128-lamb-300e_authors.py': 'ResNet',
    'in1k_r50_sb_8xb128-lamb-300e_authors.py': 'SBResNet',
    'in1k_r50v1c_8xb128-lamb-300e_authors.py': 'ResNetV1c',
    'in1k_r50v1c_sb_8xb128-lamb-300e_authors.py': 'SBResNetV1c',
}


def cfg_of(name):
    return Config.fromfile(osp.join(PAPER, name))


def _rand_augment(aa):
    """timm's ``rand-m7-mstd0.5-inc1``: (magnitude, its std, increasing,
    ops a picture: timm's default 2 unless ``-n``)."""
    import re
    fields = aa.split('-')[1:]
    value = {re.match(r'[a-z]+', f).group(): f[len(re.match(r'[a-z]+',
                                                                f).group()):]
             for f in fields}
    return (int(value['m']), float(value['mstd']), value.get('inc') == '1',
            int(value.get('n', 2)))


@pytest.mark.parametrize('name', sorted(PRETRAIN))
def test_recipe_is_the_authors(name):
    cfg = cfg_of(name)
    a = AUTHORS
    assert cfg.model.backbone.type == PRETRAIN[name]
    # batch and LR: 8 GPUs x 128 = the authors' 4 x 256
    batch = 8 * cfg.train_dataloader.batch_size
    assert batch == a['gpus'] * a['batch_per_gpu']
    assert cfg.auto_scale_lr.base_batch_size == batch
    opt = cfg.optim_wrapper.optimizer
    assert opt.type.lower() == a['opt'] and opt.lr == a['lr']
    assert opt.weight_decay == a['weight_decay']
    # timm keeps biases and norms out of the weight decay
    assert cfg.optim_wrapper.paramwise_cfg.bias_decay_mult == 0
    assert cfg.optim_wrapper.paramwise_cfg.norm_decay_mult == 0
    warmup, main = cfg.param_scheduler
    assert warmup.type == 'LinearLR' and warmup.end == a['warmup_epochs']
    assert math.isclose(warmup.start_factor * opt.lr, a['warmup_lr'])
    assert main.type == 'CosineAnnealingLR' and main.eta_min == a['min_lr']
    assert main.end == cfg.train_cfg.max_epochs == a['epochs']
    assert main.begin == warmup.end and main.T_max == main.end - main.begin
    # loss and mixing
    loss = cfg.model.head.loss
    assert loss.use_sigmoid == a['bce_loss']
    assert loss.get('label_smooth_val', 0.0) == a['smoothing']
    augments = {m.type: m.alpha for m in cfg.model.train_cfg.augments}
    assert augments == dict(Mixup=a['mixup'], CutMix=a['cutmix'])
    # augmentation
    steps = {s.type: s for s in cfg.train_dataloader.dataset.pipeline}
    magnitude, std, increasing, ops = _rand_augment(a['aa'])
    ra = steps['RandAugment']
    assert (ra.magnitude_level, ra.magnitude_std, ra.num_policies) == \
        (magnitude, std, ops)
    assert ra.policies == ('timm_increasing' if increasing else 'timm')
    assert ra.total_level == 10  # timm's magnitude scale
    assert steps['RandomResizedCrop'].scale == a['img_size']
    assert ('RandomErasing' in steps) == (a['reprob'] > 0)
    sampler = cfg.train_dataloader.sampler
    assert sampler.type == 'RepeatAugSampler'
    assert sampler.get('num_repeats', 3) == a['aug_repeats']
    assert cfg.model.backbone.drop_path_rate == a['drop_path']
    # test crop: timm resizes to floor(img_size / crop_pct)
    for loader in ('val_dataloader', 'test_dataloader'):
        steps = {s.type: s for s in cfg[loader].dataset.pipeline}
        assert steps['ResizeEdge'].scale == \
            math.floor(a['img_size'] / a['crop_pct'])
        assert steps['CenterCrop'].crop_size == a['img_size']
    # AMP, channels_last, per-GPU BN
    assert (cfg.optim_wrapper.type == 'AmpOptimWrapper') == a['amp']
    hooks = [h.type for h in cfg.get('custom_hooks', [])]
    assert ('ChannelsLastHook' in hooks) == a['channels_last']
    assert (cfg.model.backbone.norm_cfg.type == 'SyncBN') == a['sync_bn']


def test_sb_and_plain_recipes_differ_in_the_backbone_type_only():
    for plain, sb in (('in1k_r50_8xb128-lamb-300e_authors.py',
                       'in1k_r50_sb_8xb128-lamb-300e_authors.py'),
                      ('in1k_r50v1c_8xb128-lamb-300e_authors.py',
                       'in1k_r50v1c_sb_8xb128-lamb-300e_authors.py'),
                      ('cifar100_r50_8xb16_paper.py',
                       'cifar100_r50_sb_8xb16_paper.py')):
        a, b = cfg_of(plain).to_dict(), cfg_of(sb).to_dict()
        assert a['model']['backbone'].pop('type') != \
            b['model']['backbone'].pop('type')
        assert a == b, (plain, sb)


def test_downstream_configs_start_from_the_pretraining_outputs():
    chain = {
        'coco_maskrcnn_r50_1x_authors.py':
            ('ResNet', 'in1k_r50_8xb128-lamb-300e_authors'),
        'coco_maskrcnn_r50_sb_1x_authors.py':
            ('SBResNet', 'in1k_r50_sb_8xb128-lamb-300e_authors'),
        # SB off (the stock backbone) reading MMPretrain's stem names
        'ade20k_upernet_r50v1c_160k_authors.py':
            ('SBResNetV1c', 'in1k_r50v1c_8xb128-lamb-300e_authors'),
        'ade20k_upernet_r50v1c_sb_160k_authors.py':
            ('SBResNetV1c', 'in1k_r50v1c_sb_8xb128-lamb-300e_authors'),
    }
    for name, (backbone, pretrain) in chain.items():
        cfg = cfg_of(name)
        assert cfg.model.backbone.type == backbone
        init = cfg.model.backbone.init_cfg
        assert init.type == 'Pretrained' and init.prefix == 'backbone.'
        # tools/train.py's default work dir of the pretraining config
        assert init.checkpoint == f'work_dirs/{pretrain}/epoch_300.pth'
        assert osp.isfile(osp.join(PAPER, pretrain + '.py'))
        assert not cfg.model.get('pretrained')


def test_channels_last_hook_puts_the_model_in_channels_last():
    """--channels-last: the conv weights in channels-last order, the
    function unchanged."""
    from sb_mm.engine.hooks import ChannelsLastHook
    from sb_mm.layers import SpatialBias
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3),
                                torch.nn.BatchNorm2d(8)).eval()
    sb = SpatialBias(8).eval()
    x = torch.randn(2, 3, 24, 24)
    with torch.no_grad():
        before = sb(model(x))

    class Runner:
        pass
    Runner.model = model
    ChannelsLastHook().before_run(Runner)
    weight = model[0].weight
    assert weight.is_contiguous(memory_format=torch.channels_last)
    assert not weight.is_contiguous()
    with torch.no_grad():
        out = model(x)
        assert out.is_contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(sb(out), before)


#: the dry run's steps in the slow suite: the SB chain to every downstream
#: task (with their pretraining); the plain configs differ from their SB
#: twins in the backbone type only (tested above), and the plain
#: downstream backbones' loading is tested without training (below)
DRY_RUN_STEPS = ('coco_maskrcnn_r50_sb_1x_authors',
                 'ade20k_upernet_r50v1c_sb_160k_authors',
                 'cifar100_r50_sb_8xb16_paper')


def test_paper_chain_plan_lists_every_step(capsys):
    """Without --dry-run the tool prints the plan: every step's command, on
    a machine's GPUs and under slurm, pretraining before what starts from
    it."""
    from conftest import load_tool
    tool = load_tool('tools/analysis_tools/paper_chain.py')
    tool.main([])
    out = capsys.readouterr().out
    local, slurm = out.split('# slurm')
    for name, _, parent, gpus in tool.STEPS:
        line = f'bash tools/dist_train.sh configs/paper/{name}.py {gpus}'
        assert line in local, name
        assert f'configs/paper/{name}.py' in slurm, name
        if parent:
            assert local.index(f'configs/paper/{parent}.py') < \
                local.index(line)
    with pytest.raises(SystemExit, match='unknown steps'):
        tool.main(['--steps', 'in1k_r101_sb'])


@pytest.mark.slow
def test_gpu_measure_quick_runs_the_benchmark_and_the_chain(tmp_path):
    """tools/gpu_measure.sh --quick, its CPU fallback: the benchmark with
    AMP and channels-last at a small size, then paper_chain.py --dry-run:
    each step of the chain (DRY_RUN_STEPS and their pretraining) trains 2
    iterations on the generated data with its real config (data, size,
    batch, length and AMP changed, as printed), every downstream backbone
    loads its pretraining checkpoint with no missing or unexpected key; no
    GPU figure is written."""
    import subprocess

    from conftest import load_tool
    STEPS = load_tool('tools/analysis_tools/paper_chain.py').STEPS
    wanted = set(DRY_RUN_STEPS) | {parent for name, _, parent, _ in STEPS
                                   if name in DRY_RUN_STEPS and parent}
    assert len(wanted) == 5
    env = dict(os.environ, PYTHON=sys.executable, WORK=str(tmp_path / 'g'),
               OUT=str(tmp_path / 'results'), OMP_NUM_THREADS='2',
               CHAIN_STEPS=' '.join(DRY_RUN_STEPS))
    proc = subprocess.run(['bash', osp.join(REPO, 'tools', 'gpu_measure.sh'),
                           '--quick'], env=env, capture_output=True,
                          text=True, timeout=2400)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    table = (tmp_path / 'g_quick' / 'benchmark.md').read_text()
    assert '--amp' in table and '--channels-last' in table
    assert '| SB-R50 |' in table and '| NL-R50 (5 blocks) |' in table
    assert not (tmp_path / 'results').exists()

    assert 'dry run passed' in out
    for name, _, parent, gpus in STEPS:
        ran = f'] {name}: 2 iterations, wrote runs/{name}/' in out
        assert ran == (name in wanted), name
        if parent and ran:
            assert f'backbone tensors from {parent}, none missing or ' \
                'unexpected' in out, name
    assert out.count('changed: AMP off') == 2  # the ImageNet recipes


@pytest.mark.slow
def test_plain_downstream_backbones_load_their_pretraining_checkpoints(
        tmp_path):
    """The plain steps the dry run leaves out: each plain downstream
    config's init_cfg loads every backbone tensor of a checkpoint of its
    pretraining model (built and perturbed, not trained), the UPerNet one
    from MMPretrain's deep-stem names, where the stock ResNetV1c loaded
    nothing of the stem."""
    import torch
    from conftest import load_tool
    from mmengine.config import Config

    from sb_mm.apis.models import build_model
    tool = load_tool('tools/analysis_tools/paper_chain.py')
    steps = [s for s in tool.STEPS if s[2] and 'sb' not in s[0]]
    assert [s[0] for s in steps] == ['coco_maskrcnn_r50_1x_authors',
                                     'ade20k_upernet_r50v1c_160k_authors']
    for name, kind, parent, _ in steps:
        model, _ = build_model(Config.fromfile(
            osp.join(REPO, 'configs', 'paper', f'{parent}.py')))
        state = {k: v + torch.rand_like(v) if v.is_floating_point() else v
                 for k, v in model.state_dict().items()}
        ckpt = str(tmp_path / f'{parent}.pth')
        torch.save({'state_dict': state, 'meta': {}}, ckpt)
        cfg, _ = tool.dry_run_config(name, kind, str(tmp_path), ckpt)
        assert tool.check_backbone_loads(cfg, ckpt) > 300, name
