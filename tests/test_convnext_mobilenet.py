"""SB beyond the ResNet family: ConvNeXt (MMPretrain, named
``mmpretrain.SBConvNeXt`` from MMDetection / MMSegmentation) and the
inverted-residual MobileNetV2 (three libraries) / V3 (MMSegmentation,
MMPretrain). The same guarantees as the ResNets: SB off is the stock
backbone bit for bit, a stock checkpoint loads function-preserving, the
stock arguments keep their meaning. That SB is really there (placed,
changing the output, learning) is checked with every SB type in
test_sb_is_there.py, SB-off parity and the stock-checkpoint load in
test_families.py."""
import pytest
import torch
from sb_testing import build_backbone

# (library, stock type, kwargs, default sb_stages, SB layers by default)
V2_DEFAULT = (False, True, True, True, True, False, False)
NEW_FAMILIES = [
    ('mmpretrain', 'ConvNeXt', dict(arch='atto'), (True, True, True, False),
     2 + 2 + 6),
    ('mmpretrain', 'ConvNeXt', dict(arch='atto', linear_pw_conv=False),
     (True, True, True, False), 2 + 2 + 6),
    ('mmpretrain', 'MobileNetV2', dict(), V2_DEFAULT, 2 + 3 + 4 + 3),
    ('mmdet', 'MobileNetV2', dict(out_indices=(2, 4, 6)), V2_DEFAULT,
     2 + 3 + 4 + 3),
    ('mmseg', 'MobileNetV2', dict(), V2_DEFAULT, 2 + 3 + 4 + 3),
    # mmpretrain's small: the stem and block 1 halve, blocks 1-8 are at
    # 1/4 - 1/16, blocks 9-11 at 1/32
    ('mmpretrain', 'MobileNetV3', dict(arch='small'),
     (True, ) * 8 + (False, ) * 3, 8),
    ('mmpretrain', 'MobileNetV3', dict(arch='large'),
     (False, ) + (True, ) * 11 + (False, ) * 3, 11),
    # mmseg's small keeps 1/8 from block 4 on (dilated, for segmentation)
    ('mmseg', 'MobileNetV3', dict(arch='small'), (True, ) * 11, 11),
]
IDS = [f'{lib}-{name}-{"-".join(f"{k}={v}" for k, v in kw.items())}'
       for lib, name, kw, _, _ in NEW_FAMILIES]


@pytest.mark.parametrize('lib,name,kw,stages,blocks', NEW_FAMILIES, ids=IDS)
def test_default_stages(lib, name, kw, stages, blocks):
    """SB-off parity and the function-preserving load of these rows are
    test_families.py's; here the default sb_stages and SB layer count."""
    sb = build_backbone(lib, type=f'SB{name}', **kw)
    assert sb.sb_stages == stages
    assert sum(n.endswith('.sb') for n, _ in sb.named_modules()) == blocks


def test_convnext_reads_the_maps_beside_its_layer_norm():
    """The maps join at pointwise_conv1 (C + m inputs) and never pass
    through the block's LayerNorm, channel-last (Linear) and
    channel-first (1x1 conv) alike; the SB of a block reads the normalised
    features (B, C, H, W) that pointwise_conv1 reads."""
    for linear in (True, False):
        sb = build_backbone('mmpretrain', type='SBConvNeXt', arch='atto',
                            linear_pw_conv=linear)
        block = sb.stages[1][0]
        pw1 = block.pointwise_conv1
        width = pw1.in_features if linear else pw1.in_channels
        assert width == 80 + 3
        assert block.norm.normalized_shape == (80, )
        seen = []
        pw1.sb.register_forward_hook(lambda m, i, o: seen.append(
            (tuple(i[0].shape), tuple(o.shape))))
        sb.eval()
        sb(torch.randn(1, 3, 64, 96))
        assert seen[0] == ((1, 80, 8, 12), (1, 3, 8, 12))


def test_convnext_keeps_its_stock_arguments():
    """frozen_stages freezes SB inside the frozen stages too;
    out_indices, gap_before_final_norm, drop_path_rate and
    layer_scale_init_value keep their meaning."""
    sb = build_backbone('mmpretrain', type='SBConvNeXt', arch='atto',
                        frozen_stages=2, out_indices=(0, 1, 2, 3),
                        gap_before_final_norm=False, drop_path_rate=0.1,
                        layer_scale_init_value=0.5)
    sb.train()
    for name, p in sb.named_parameters():
        frozen = name.startswith(('stages.0.', 'stages.1.',
                                  'downsample_layers.0.',
                                  'downsample_layers.1.'))
        assert p.requires_grad != frozen, name
    assert not sb.stages[0][0].pointwise_conv1.sb.training
    assert sb.stages[2][0].pointwise_conv1.sb.training
    sb.eval()
    with torch.no_grad():
        outs = sb(torch.randn(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [
        (1, 40, 16, 16), (1, 80, 8, 8), (1, 160, 4, 4), (1, 320, 2, 2)]
    assert float(sb.stages[3][0].gamma.detach()[0]) == 0.5
    assert sb.stages[3][1].drop_path.drop_prob == pytest.approx(0.1)


@pytest.mark.parametrize('lib', ['mmdet', 'mmseg'])
def test_mmdet_and_mmseg_configs_name_mmpretrain_sbconvnext(lib):
    """As their stock ConvNeXt configs name ``mmpretrain.ConvNeXt``."""
    from mmengine.config import Config

    from sb_mm.apis.models import build_model
    cfg = Config(dict(
        default_scope=lib,
        custom_imports=dict(imports=[f'sb_mm.{lib}', 'sb_mm.mmpretrain'],
                            allow_failed_imports=False),
        model=dict(type='mmpretrain.SBConvNeXt', arch='atto',
                   out_indices=(0, 1, 2, 3), gap_before_final_norm=False)))
    model, _ = build_model(cfg)
    assert type(model).__name__ == 'SBConvNeXt'
    assert model.sb_stages == (True, True, True, False)
    # SB is built, not only flagged: one layer a block of stages 1-3
    assert sum(n.endswith('.sb') for n, _ in model.named_modules()) == 10


def test_mobilenet_stage_flags_follow_the_library_layers():
    """One flag per layer of inverted residuals, in the library's order;
    the stem and the last 1x1 conv get none; a wrong count is named."""
    sb = build_backbone('mmpretrain', type='SBMobileNetV2',
                        sb_stages=(True, ) + (False, ) * 6)
    assert [n for n, m in sb.named_modules() if n.endswith('.sb')] == [
        'layer1.0.conv.1.conv.sb']
    with pytest.raises(ValueError, match='sb_stages has 4 flags, but the '
                       'backbone has num_stages=7'):
        build_backbone('mmpretrain', type='SBMobileNetV2',
                       sb_stages=(True, ) * 4)


def test_mobilenet_frozen_stages_freeze_sb_too():
    sb = build_backbone('mmseg', type='SBMobileNetV2', frozen_stages=3)
    sb.train()
    assert not any(p.requires_grad for n, p in sb.named_parameters()
                   if n.startswith(('layer2.', 'layer3.')))
    assert all(p.requires_grad for n, p in sb.named_parameters()
               if n.startswith('layer4.'))
    assert not sb.layer2[0].conv[2].conv.sb.training


@pytest.mark.parametrize('src_type,dst_lib,dst_type,kw', [
    ('SBConvNeXt', 'mmdet', 'mmpretrain.SBConvNeXt', dict(arch='atto')),
    ('SBMobileNetV2', 'mmseg', 'SBMobileNetV2', dict()),
])
def test_pictures_and_converters_work_for_the_new_types(
        src_type, dst_lib, dst_type, kw, tmp_path):
    """The SB-map pictures read every SB layer of a ConvNeXt / MobileNet
    classifier, and its checkpoint, through mmpretrain2backbone.py, fills
    the detection / segmentation backbone tensor for tensor (MMPretrain's
    MobileNetV2 has a last 1x1 conv that MMSegmentation's lacks)."""
    from sb_testing import load_tool

    from sb_mm.apis.models import build_in_scope
    from sb_mm.visualization import collect_sb_maps, draw_sb_maps
    torch.manual_seed(0)
    classifier = build_in_scope('mmpretrain', dict(
        type='ImageClassifier', backbone=dict(type=src_type, **kw),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10,
                  in_channels=320 if 'ConvNeXt' in src_type else 1280)))
    x = torch.randn(1, 3, 96, 128)
    maps = collect_sb_maps(classifier, x)
    sb_names = [n[:-len('.sb')] for n, _ in classifier.named_modules()
                if n.endswith('.sb')]
    assert [name for name, _ in maps] == sb_names and len(sb_names) > 5
    assert all(m.shape == (1, 3, 10, 10) for _, m in maps)
    picture = draw_sb_maps(None, maps)
    assert picture.ndim == 3 and picture.shape[0] > len(maps) * 10
    src = tmp_path / 'classifier.pth'
    torch.save(dict(state_dict=classifier.state_dict()), src)
    dst = tmp_path / 'backbone.pth'
    load_tool('tools/model_converters/mmpretrain2backbone.py').main(
        [str(src), str(dst)])
    backbone = build_backbone(dst_lib, type=dst_type, **kw,
                              init_cfg=dict(type='Pretrained',
                                            checkpoint=str(dst)))
    backbone.init_weights()
    want = classifier.backbone.state_dict()
    for key, value in backbone.state_dict().items():
        assert torch.equal(value, want[key]), key


CNX = ("dict(_delete_=True, type='mmpretrain.SBConvNeXt', arch='atto', "
       "out_indices=(0, 1, 2, 3), gap_before_final_norm=False)")
CNX_IMPORTS = ("custom_imports = dict(imports=['mmpretrain.models', "
               "'sb_mm.{lib}', 'sb_mm.mmpretrain'], "
               "allow_failed_imports=False)\n")
#: (demo config, the model lines) per library and type; SBConvNeXt in an
#: MMDetection config is built and run forward by the config corpus (4 stock
#: configs) and test_mmdet_and_mmseg_configs_name_mmpretrain_sbconvnext
TRAIN = {
    'mmdet-SBMobileNetV2': (
        'coco_maskrcnn_sb_demo.py',
        "model = dict(backbone=dict(_delete_=True, type='SBMobileNetV2', "
        'out_indices=(1, 2, 4, 6)), neck=dict(in_channels=[24, 32, 96, '
        '320]))'),
    'mmseg-SBConvNeXt': (
        'ade20k_upernet_sb_demo.py', CNX_IMPORTS.format(lib='mmseg') +
        f'model = dict(backbone={CNX}, decode_head=dict(in_channels=[40, '
        '80, 160, 320]), auxiliary_head=dict(in_channels=160))'),
    'mmseg-SBMobileNetV2': (
        'ade20k_upernet_sb_demo.py',
        "model = dict(backbone=dict(_delete_=True, type='SBMobileNetV2', "
        'out_indices=(1, 2, 4, 6)), decode_head=dict(in_channels=[24, 32, '
        '96, 320]), auxiliary_head=dict(in_channels=96))'),
    'mmseg-SBMobileNetV3': (
        'ade20k_upernet_sb_demo.py',
        "model = dict(backbone=dict(_delete_=True, type='SBMobileNetV3', "
        "arch='small', out_indices=(0, 1, 12)), decode_head=dict("
        'in_channels=[16, 16, 576], in_index=[0, 1, 2]), '
        'auxiliary_head=dict(in_channels=16, in_index=1))'),
    'mmpretrain-SBConvNeXt': (
        'in1k_sb_demo.py',
        "model = dict(backbone=dict(_delete_=True, type='SBConvNeXt', "
        "arch='atto', gap_before_final_norm=False), "
        'head=dict(in_channels=320))'),
    'mmpretrain-SBMobileNetV2': (
        'in1k_sb_demo.py',
        "model = dict(backbone=dict(_delete_=True, type='SBMobileNetV2'), "
        'head=dict(in_channels=1280))'),
    'mmpretrain-SBMobileNetV3': (
        'in1k_sb_demo.py',
        "model = dict(backbone=dict(_delete_=True, type='SBMobileNetV3', "
        "arch='small'), head=dict(in_channels=576))"),
}
SHORT = {
    'mmdet': ['train_cfg.max_epochs=1', 'train_cfg.val_interval=2',
              'train_dataloader.dataset.indices=4'],
    'mmseg': ['train_cfg.max_iters=2', 'train_cfg.val_interval=4',
              'default_hooks.checkpoint.interval=2'],
    'mmpretrain': ['train_cfg.max_epochs=1', 'train_cfg.val_interval=2',
                   'train_dataloader.dataset.indices=16'],
}


@pytest.mark.slow
@pytest.mark.parametrize('case', sorted(TRAIN))
def test_new_types_train_through_tools_train(workspace, case):
    """Each new type in each library that registers it, through the
    library's Runner (tools/train.py) on the generated demo data: the SB
    model builds, its loss is finite, and the checkpoint holds SB."""
    import os.path as osp
    import re

    from sb_testing import REPO, run_tool
    lib = case.split('-')[0]
    demo, model = TRAIN[case]
    config = workspace / f'{case}.py'
    config.write_text(f"_base_ = '{osp.join(REPO, 'configs', 'demo', demo)}'"
                      f'\n{model}\n')
    work = workspace / 'work_dirs' / case
    out = run_tool(workspace, osp.join(REPO, 'tools', 'train.py'),
                   str(config), '--work-dir', str(work), '--cfg-options',
                   'default_hooks.logger.interval=1', *SHORT[lib])
    losses = [float(v) for v in re.findall(r' loss: (-?[0-9.na]+)', out)]
    assert losses and all(v == v and abs(v) < 1e4 for v in losses), \
        out[-3000:]
    ckpt, = [p for p in work.iterdir() if p.suffix == '.pth']
    state = torch.load(ckpt, weights_only=True, map_location='cpu')
    assert any('.sb.mix.weight' in k for k in state['state_dict'])
