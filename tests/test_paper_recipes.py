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

#: what the authors' run used: their published timm command, and for what
#: it leaves out, their train.py's defaults (GoJunHyeong/SpatialBias)
AUTHORS = dict(
    gpus=4, batch_per_gpu=256, opt='lamb', lr=3.5e-3, warmup_lr=1e-4,
    warmup_epochs=3,  # train.py: --warmup-epochs default=3
    cooldown_epochs=10,  # train.py: --cooldown-epochs default=10
    weight_decay=0.02, sched='cosine', min_lr=1e-6, epochs=300,
    bce_loss=True, bce_target_thresh=0.2, smoothing=0.0, mixup=0.1,
    cutmix=1.0, aa='rand-m7-mstd0.5-inc1', aug_repeats=3, reprob=0.0,
    drop_path=0.05,  # on the command line, never passed to the model
    crop_pct=0.95, img_size=224, amp=True, channels_last=True,
    sync_bn=False, train_interpolation='random', dist_bn='reduce',
    seed=42, eval_metric='top1')

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


# -- one check per item of docs/en/reproduce.md's table ----------------------
def _batch(cfg, a):
    # 8 GPUs x 128 = the authors' 4 x 256
    batch = 8 * cfg.train_dataloader.batch_size
    assert batch == a['gpus'] * a['batch_per_gpu']
    assert cfg.auto_scale_lr.base_batch_size == batch


def _optimiser(cfg, a):
    opt = cfg.optim_wrapper.optimizer
    assert opt.type.lower() == a['opt'] and opt.lr == a['lr']
    assert opt.weight_decay == a['weight_decay']


def _weight_decay(cfg, a):
    # timm keeps 1-D parameters and biases out of the weight decay
    assert cfg.optim_wrapper.paramwise_cfg.bias_decay_mult == 0
    assert cfg.optim_wrapper.paramwise_cfg.norm_decay_mult == 0


def _schedule(cfg, a):
    # the values per epoch: test_lr_schedule_is_timms
    (sched, ) = cfg.param_scheduler
    assert sched.type == 'TimmCosineLR'
    assert sched.t_initial == a['epochs'] and sched.min_value == a['min_lr']
    assert sched.end == cfg.train_cfg.max_epochs == \
        a['epochs'] + a['cooldown_epochs']


def _warm_up(cfg, a):
    (sched, ) = cfg.param_scheduler
    assert (sched.warmup_t, sched.warmup_value) == (a['warmup_epochs'],
                                                    a['warmup_lr'])


def _lr_steps(cfg, a):
    (sched, ) = cfg.param_scheduler
    assert sched.by_epoch and not sched.get('convert_to_iter_based', False)


def _loss(cfg, a):
    # the loss itself against timm's: test_bce_target_threshold_loss_is_timms
    loss = cfg.model.head.loss
    assert a['bce_loss'] and loss.type == 'BinaryCrossEntropyLoss'
    assert loss.target_threshold == a['bce_target_thresh']


def _label_smoothing(cfg, a):
    assert cfg.model.head.loss.get('smoothing', 0.0) == a['smoothing']


def _mixing(cfg, a):
    augments = {m.type: m.alpha for m in cfg.model.train_cfg.augments}
    assert augments == dict(Mixup=a['mixup'], CutMix=a['cutmix'])
    assert cfg.model.train_cfg.get('probs') is None  # one of the two, 50/50


def _train_steps(cfg):
    return {s.type: s for s in cfg.train_dataloader.dataset.pipeline}


def _rand_augment_item(cfg, a):
    magnitude, std, increasing, ops = _rand_augment(a['aa'])
    ra = _train_steps(cfg)['RandAugment']
    assert (ra.magnitude_level, ra.magnitude_std, ra.num_policies) == \
        (magnitude, std, ops)
    assert ra.policies == ('timm_increasing' if increasing else 'timm')
    assert ra.total_level == 10  # timm's magnitude scale


def _train_interpolation(cfg, a):
    # a bilinear or a bicubic random resized crop, at random
    choice = _train_steps(cfg)['RandomChoice']
    crops = [c for option in choice.transforms for c in option]
    assert a['train_interpolation'] == 'random' and 'prob' not in choice
    assert [c.type for c in crops] == ['RandomResizedCrop'] * 2
    assert sorted(c.interpolation for c in crops) == ['bicubic', 'bilinear']
    assert {c.scale for c in crops} == {a['img_size']}


def _colour_jitter(cfg, a):
    # timm applies none with an AutoAugment policy
    assert a['aa'] and 'ColorJitter' not in _train_steps(cfg)


def _random_erasing(cfg, a):
    assert ('RandomErasing' in _train_steps(cfg)) == (a['reprob'] > 0)


def _repeated_augmentation(cfg, a):
    sampler = cfg.train_dataloader.sampler
    assert sampler.type == 'RepeatAugSampler'
    assert sampler.get('num_repeats', 3) == a['aug_repeats']


def _drop_path(cfg, a):
    # on the command line, never in the model: test_backbone_inits_as_the_
    # authors checks the built model
    assert a['drop_path'] > 0 and cfg.model.backbone.drop_path_rate == 0


def _initialisation(cfg, a):
    # the built model: test_backbone_inits_as_the_authors
    assert cfg.model.backbone.zero_init_residual is False
    assert cfg.model.head.init_cfg is None


def _test_steps(cfg, loader):
    return {s.type: s for s in cfg[loader].dataset.pipeline}


def _test_crop(cfg, a):
    # timm resizes to floor(img_size / crop_pct)
    for loader in ('val_dataloader', 'test_dataloader'):
        steps = _test_steps(cfg, loader)
        assert steps['ResizeEdge'].scale == \
            math.floor(a['img_size'] / a['crop_pct'])
        assert steps['CenterCrop'].crop_size == a['img_size']


def _test_interpolation(cfg, a):
    # timm's default for a model without a default_cfg
    for loader in ('val_dataloader', 'test_dataloader'):
        assert _test_steps(cfg, loader)['ResizeEdge'].interpolation == \
            'bicubic'


def _hooks(cfg):
    return [h.type for h in cfg.get('custom_hooks', [])]


def _amp(cfg, a):
    assert (cfg.optim_wrapper.type == 'AmpOptimWrapper') == a['amp']
    assert cfg.optim_wrapper.loss_scale == 'dynamic'


def _channels_last(cfg, a):
    assert ('ChannelsLastHook' in _hooks(cfg)) == a['channels_last']


def _batch_norm(cfg, a):
    # per-GPU BN; --dist-bn reduce: BN buffers averaged after each epoch
    assert (cfg.model.backbone.norm_cfg.type == 'SyncBN') == a['sync_bn']
    assert ('SyncBuffersHook' in _hooks(cfg)) == (a['dist_bn'] == 'reduce')


def _seed(cfg, a):
    assert (cfg.randomness.seed, cfg.randomness.diff_rank_seed) == \
        (a['seed'], True)


def _checkpoint(cfg, a):
    assert cfg.default_hooks.checkpoint.save_best == \
        f"accuracy/{a['eval_metric']}"


def _cudnn(cfg, a):
    assert cfg.env_cfg.cudnn_benchmark  # train.py sets it


#: every item of the table in docs/en/reproduce.md (section 1)
ITEMS = {
    'batch': _batch, 'optimiser': _optimiser, 'weight decay': _weight_decay,
    'warm-up': _warm_up, 'schedule': _schedule, 'LR steps': _lr_steps,
    'loss': _loss, 'label smoothing': _label_smoothing, 'mixing': _mixing,
    'RandAugment': _rand_augment_item,
    'train interpolation': _train_interpolation,
    'colour jitter': _colour_jitter, 'random erasing': _random_erasing,
    'repeated augmentation': _repeated_augmentation,
    'drop path': _drop_path, 'initialisation': _initialisation,
    'test crop': _test_crop, 'test interpolation': _test_interpolation,
    'AMP': _amp, 'channels last': _channels_last,
    'BatchNorm': _batch_norm, 'seed': _seed, 'checkpoint': _checkpoint,
    'cuDNN': _cudnn,
}


@pytest.mark.parametrize('item', sorted(ITEMS))
@pytest.mark.parametrize('name', sorted(PRETRAIN))
def test_recipe_item_is_what_the_authors_ran(name, item):
    cfg = cfg_of(name)
    assert cfg.model.backbone.type == PRETRAIN[name]
    ITEMS[item](cfg, AUTHORS)


def test_every_item_of_the_reproduce_table_is_checked():
    """Each row of the table in docs/en/reproduce.md has its check above
    (or a test of its own, named in the row's check)."""
    with open(osp.join(REPO, 'docs', 'en', 'reproduce.md')) as f:
        page = f.read()
    section = page.split('## 1. ')[1].split('\n## ')[0]
    rows = [line.split('|')[1].strip() for line in section.splitlines()
            if line.startswith('| ') and not line.startswith('| item')]
    assert len(rows) == len(set(rows)) == len(ITEMS)
    assert set(rows) == set(ITEMS)


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
    # the CIFAR-100 table: each SB row is its plain row plus the type, the
    # stages and the inferred grid
    for depth in (38, 65):
        plain = cfg_of(f'cifar100_r{depth}_1xb128_paper.py').to_dict()
        for stages, flags in (('1', (True, False, False)),
                              ('12', (True, True, False)),
                              ('123', (True, True, True))):
            sb = cfg_of(f'cifar100_r{depth}_sb-s{stages}_1xb128_paper.py'
                        ).to_dict()
            backbone = sb['model']['backbone']
            assert backbone.pop('type') == 'SBCIFARBottleneckResNet'
            assert tuple(backbone.pop('sb_stages')) == flags
            assert backbone.pop('sb_cfg') == dict(grid_size=6)
            backbone['type'] = 'CIFARBottleneckResNet'
            assert sb == plain, (depth, stages)


# -- what the authors' code ran, item by item -------------------------------
def _timm_args(**changes):
    """The authors' train.py arguments that timm's scheduler factory reads:
    their command's values, the rest train.py's defaults."""
    import argparse
    a = AUTHORS
    args = dict(sched=a['sched'], epochs=a['epochs'], min_lr=a['min_lr'],
                warmup_lr=a['warmup_lr'], warmup_epochs=a['warmup_epochs'],
                cooldown_epochs=a['cooldown_epochs'], lr_noise=None,
                lr_noise_pct=0.67, lr_noise_std=1.0, seed=a['seed'],
                lr_cycle_mul=1.0, lr_cycle_decay=0.5, lr_cycle_limit=1,
                lr_k_decay=1.0, decay_epochs=100, decay_rate=0.1,
                patience_epochs=10)
    args.update(changes)
    return argparse.Namespace(**args)


def _lrs_by_epoch(scheduler_cfgs, epochs, lr):
    """The LR of each epoch under MMEngine's schedulers, stepped as the
    runner's ParamSchedulerHook steps by-epoch schedulers."""
    from mmengine.registry import PARAM_SCHEDULERS, init_default_scope

    import sb_mm.mmpretrain  # noqa: F401  (registers TimmCosineLR)
    init_default_scope('mmpretrain')
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=lr)
    schedulers = [PARAM_SCHEDULERS.build(dict(c, optimizer=optimizer))
                  for c in scheduler_cfgs]
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        for s in schedulers:
            s.step()
    return lrs


def test_lr_schedule_is_timms():
    """Per epoch, the recipe's LR is the LR of timm's create_scheduler with
    the authors' arguments (timm 0.6.13 = 0.6.12 here), all 310 epochs: 3
    warm-up epochs from 1e-4, the cosine over absolute epochs 0-300, then
    the 10 cool-down epochs at --min-lr. The A2 schedule it replaces is
    not."""
    from timm.scheduler import create_scheduler
    cfg = cfg_of('in1k_r50_8xb128-lamb-300e_authors.py')
    lr = cfg.optim_wrapper.optimizer.lr
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    timm_sched, epochs = create_scheduler(_timm_args(), optimizer)
    assert epochs == cfg.train_cfg.max_epochs == 310
    timm_lrs = []
    for epoch in range(epochs):
        timm_lrs.append(optimizer.param_groups[0]['lr'])
        timm_sched.step(epoch + 1)  # train.py, after each epoch
    ours = _lrs_by_epoch(cfg.param_scheduler, epochs, lr)
    assert ours == pytest.approx(timm_lrs, rel=1e-12, abs=0)
    assert timm_lrs[:3] == pytest.approx([1e-4, 1e-4 + 3.4e-3 / 3,
                                          1e-4 + 6.8e-3 / 3])
    assert timm_lrs[300:] == [1e-6] * 10
    # MMPretrain's A2 schedule (warm-up by iteration, 300 epochs) is not it
    a2 = Config.fromfile(
        osp.join(osp.dirname(sys.modules['mmpretrain'].__file__), '.mim',
                 'configs', 'resnet', 'resnet50_8xb256-rsb-a2-300e_in1k.py'))
    a2_lrs = _lrs_by_epoch(
        [dict(c, convert_to_iter_based=False) for c in a2.param_scheduler],
        300, lr)
    assert a2_lrs != pytest.approx(timm_lrs[:300], rel=1e-3)


def _mixed_targets(kind, classes=10, batch=8):
    """MMPretrain's Mixup / CutMix (the recipe's batch augments) on one-hot
    targets: soft targets on either side of the 0.2 threshold."""
    import numpy as np
    from mmpretrain.models.utils.batch_augments import CutMix, Mixup
    np.random.seed(3)
    torch.manual_seed(0)
    images = torch.rand(batch, 3, 32, 32)
    labels = torch.arange(batch) % classes
    one_hot = torch.nn.functional.one_hot(labels, classes).float()
    augment = Mixup(alpha=0.1) if kind == 'mixup' else CutMix(alpha=1.0)
    _, targets = augment(images, one_hot)
    return targets


@pytest.mark.parametrize('kind', ['mixup', 'cutmix'])
def test_bce_target_threshold_loss_is_timms(kind):
    """The recipe's loss (BinaryCrossEntropyLoss(target_threshold=0.2))
    equals timm's BinaryCrossEntropy(target_threshold=0.2) on mixed and
    cut-mixed targets, called directly and through MMPretrain's head (which
    passes avg_factor=B, ignored); MMPretrain's sigmoid CrossEntropyLoss and
    the loss without its threshold do not."""
    from mmpretrain.models.losses import CrossEntropyLoss
    from mmpretrain.structures import DataSample
    from timm.loss import BinaryCrossEntropy

    from sb_mm.apis.models import build_in_scope
    targets = _mixed_targets(kind)
    # soft targets, which the threshold turns into 0 (Mixup's 0.1-ish side)
    # or 1 (CutMix's pasted class)
    soft = targets[(targets > 0) & (targets < 1)]
    assert ((soft < 0.2) if kind == 'mixup' else (soft > 0.2)).any()
    logits = torch.randn_like(targets) * 3
    timm_loss = BinaryCrossEntropy(target_threshold=0.2)(logits, targets)

    head = build_in_scope('mmpretrain', dict(
        type='LinearClsHead', num_classes=targets.shape[1], in_channels=4,
        loss=cfg_of('in1k_r50_8xb128-lamb-300e_authors.py'
                    ).model.head.loss.to_dict()))
    ours = head.loss_module
    torch.testing.assert_close(ours(logits, targets), timm_loss)
    feats = torch.randn(len(targets), 4)
    samples = [DataSample().set_gt_score(t) for t in targets]
    with torch.no_grad():
        through_head = head.loss((feats, ), samples)['loss']
        torch.testing.assert_close(
            through_head,
            BinaryCrossEntropy(target_threshold=0.2)(head.fc(feats), targets))
    assert not torch.allclose(
        CrossEntropyLoss(use_sigmoid=True)(logits, targets,
                                           avg_factor=len(targets)),
        timm_loss)
    assert not torch.allclose(
        BinaryCrossEntropy(target_threshold=None)(logits, targets), timm_loss)


def test_bce_loss_on_class_indices_and_its_checks():
    """Class-index labels become one-hot rows (smoothing as timm's); bad
    arguments and shapes are named."""
    from timm.loss import BinaryCrossEntropy

    from sb_mm.models.binary_cross_entropy import BinaryCrossEntropyLoss
    logits, labels = torch.randn(4, 5), torch.tensor([0, 3, 4, 1])
    for smoothing in (0.0, 0.1):
        torch.testing.assert_close(
            BinaryCrossEntropyLoss(smoothing=smoothing)(logits, labels),
            BinaryCrossEntropy(smoothing=smoothing)(logits, labels))
    weight = torch.tensor([1.0, 0.0, 2.0, 1.0])
    per_sample = BinaryCrossEntropyLoss()(logits, labels,
                                          reduction_override='none')
    torch.testing.assert_close(
        BinaryCrossEntropyLoss()(logits, labels, weight=weight),
        (per_sample * weight[:, None]).mean())
    with pytest.raises(ValueError, match='target_threshold'):
        BinaryCrossEntropyLoss(target_threshold=1.5)
    with pytest.raises(ValueError, match=r'\(B, K\) scores or \(B,\)'):
        BinaryCrossEntropyLoss()(logits, torch.zeros(4, 3))


@pytest.mark.parametrize('name', sorted(PRETRAIN))
def test_backbone_inits_as_the_authors(name):
    """The authors' ResNet.__init__: every BN weight 1 and bias 0 (the last
    BN of each block too: no zero-init residual), every Conv2d normal with
    std sqrt(2 / (k * k * out_channels)); no drop path module (their
    sb_resnet50 drops timm's drop_path_rate); the classifier at PyTorch's
    default (uniform within 1 / sqrt(fan_in), not normal(0, 0.01))."""
    from sb_mm.apis.models import build_in_scope
    torch.manual_seed(0)
    cfg = cfg_of(name)
    model = build_in_scope('mmpretrain', cfg.model.to_dict())
    model.init_weights()
    names = [type(m).__name__ for m in model.modules()]
    assert 'DropPath' not in names
    for mod_name, module in model.backbone.named_modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            assert torch.all(module.weight == 1), mod_name
            assert torch.all(module.bias == 0), mod_name
        elif isinstance(module, torch.nn.Conv2d) and \
                module.weight.numel() >= 256:
            k = module.kernel_size[0] * module.kernel_size[1]
            expected = math.sqrt(2 / (k * module.out_channels))
            got = module.weight.std().item()
            assert abs(got / expected - 1) < 0.1, (mod_name, got, expected)
    fc = model.head.fc
    bound = 1 / math.sqrt(fc.in_features)
    assert fc.weight.abs().max() <= bound and fc.bias.abs().max() > 0
    assert abs(fc.weight.std().item() / (bound / math.sqrt(3)) - 1) < 0.05


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
        assert init.checkpoint == f'work_dirs/{pretrain}/epoch_310.pth'
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
                 'cifar100_r38_sb-s12_1xb128_paper')


def test_paper_chain_plan_lists_every_step(capsys):
    """Without --dry-run the tool prints the plan: every step's command, on
    a machine's GPUs and under slurm, pretraining before what starts from
    it."""
    from sb_testing import load_tool
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

    from sb_testing import load_tool
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
    from mmengine.config import Config
    from sb_testing import load_tool

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


def test_reproduce_page_quotes_the_stock_baselines_of_the_metafiles():
    """docs/en/reproduce.md's reference row: OpenMMLab's own Mask R-CNN
    R50-FPN 1x and UPerNet R50 160k figures, as the installed metafiles
    give them."""
    import importlib

    import yaml

    def metafile(package, path):
        root = osp.dirname(importlib.import_module(package).__file__)
        with open(osp.join(root, '.mim', path)) as f:
            return yaml.safe_load(f)['Models']

    det = {m['Name']: m for m in metafile(
        'mmdet', 'configs/mask_rcnn/metafile.yml')}
    metrics = {r['Task']: r['Metrics']
               for r in det['mask-rcnn_r50_fpn_1x_coco']['Results']}
    box = metrics['Object Detection']['box AP']
    mask = metrics['Instance Segmentation']['mask AP']
    seg = {m['Name']: m for m in metafile(
        'mmseg', 'configs/upernet/metafile.yaml')}
    miou = seg['upernet_r50_4xb4-160k_ade20k-512x512']['Results'][
        'Metrics']['mIoU']
    with open(osp.join(REPO, 'docs', 'en', 'reproduce.md')) as f:
        page = f.read()
    assert f'| torchvision ResNet-50 | box AP {box}, mask AP {mask} |' in page
    assert f'| ResNet-50-V1c | mIoU {miou} (single scale) |' in page
