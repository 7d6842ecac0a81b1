"""SB beyond the ResNet family: ConvNeXt (MMPretrain, named
``mmpretrain.SBConvNeXt`` from MMDetection / MMSegmentation) and the
inverted-residual MobileNetV2 (three libraries) / V3 (MMSegmentation,
MMPretrain). The same guarantees as the ResNets: SB off is the stock
backbone bit for bit, a stock checkpoint loads function-preserving, the
stock arguments keep their meaning. That SB is really there (placed,
changing the output, learning) is checked with every SB type in
test_sb_is_there.py."""
import pytest
import torch
import torch.nn as nn
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


def _outputs(model, x):
    model.eval()  # the libraries' train() returns None: no chaining
    with torch.no_grad():
        out = model(x)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _trained_like(model):
    """Non-trivial norm weights and statistics (BN and LayerNorm), and
    ConvNeXt's layer scale at a trained size, not 1e-6."""
    torch.manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
            if isinstance(m, (nn.modules.batchnorm._BatchNorm,
                              nn.LayerNorm)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
        for name, p in model.named_parameters():
            if name.endswith('gamma'):
                p.uniform_(0.5, 1.5)
    return model


@pytest.mark.parametrize('lib,name,kw,stages,blocks', NEW_FAMILIES, ids=IDS)
def test_sb_off_is_the_stock_backbone_bit_for_bit(lib, name, kw, stages,
                                                  blocks):
    stock = _trained_like(build_backbone(lib, type=name, **kw))
    sb = build_backbone(lib, type=f'SB{name}',
                        sb_stages=(False, ) * len(stages), **kw)
    assert [(k, v.shape) for k, v in sb.state_dict().items()] == \
        [(k, v.shape) for k, v in stock.state_dict().items()]
    sb.load_state_dict(stock.state_dict())
    x = torch.randn(2, 3, 64, 96)
    for a, b in zip(_outputs(stock, x), _outputs(sb, x), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize('lib,name,kw,stages,blocks', NEW_FAMILIES, ids=IDS)
def test_stock_checkpoint_loads_function_preservingly(lib, name, kw, stages,
                                                      blocks, tmp_path):
    torch.manual_seed(0)
    stock = _trained_like(build_backbone(lib, type=name, **kw))
    path = tmp_path / 'stock.pth'
    torch.save(stock.state_dict(), path)
    sb = build_backbone(lib, type=f'SB{name}', **kw,
                        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    sb.init_weights()
    assert sb.sb_stages == stages
    assert sum(n.endswith('.sb') for n, _ in sb.named_modules()) == blocks
    # the maps change the consumer's input: only its zero columns keep
    # the stock function (seen failing with the columns left random)
    x = torch.randn(2, 3, 64, 128)
    for a, b in zip(_outputs(stock, x), _outputs(sb, x), strict=True):
        torch.testing.assert_close(b, a, rtol=1e-5,
                                   atol=1e-5 * float(a.abs().max()))


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
    outs = _outputs(sb, torch.randn(1, 3, 64, 64))
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
