"""Plugin layers (NL / GC) after any residual block: ``block_plugins`` of
the SB backbones, for basic blocks too."""
import pytest
import torch
from sb_is_there import trained_like
from sb_testing import LIBRARIES, build_backbone


@pytest.mark.parametrize('lib', LIBRARIES)
def test_block_plugins_run_after_basic_blocks(lib):
    plugins = [dict(cfg=dict(type='NonLocal2d', reduction=2),
                    stages=(False, True), blocks='last'),
               dict(cfg=dict(type='ContextBlock', ratio=1. / 4),
                    stages=(True, True))]
    m = build_backbone(lib, type='SBResNet', depth=18, num_stages=2,
                       strides=(1, 2), dilations=(1, 1), out_indices=(0, 1),
                       sb_stages=(False, False), block_plugins=plugins)
    stock = build_backbone(lib, type='ResNet', depth=18, num_stages=2,
                           strides=(1, 2), dilations=(1, 1),
                           out_indices=(0, 1))
    assert m.layer2[1].after_block_plugin_names == [
        'nonlocal_block_after_block', 'context_block_after_block1']
    assert m.layer2[0].after_block_plugin_names == [
        'context_block_after_block']
    assert not hasattr(stock.layer2[1], 'after_block_plugin_names')
    # stock names unchanged, the plugins add their own
    extra = set(m.state_dict()) - set(stock.state_dict())
    assert extra and all('_after_block' in k for k in extra)
    m.load_state_dict(stock.state_dict(), strict=False)
    m.eval()
    stock.eval()
    x = torch.randn(2, 3, 48, 64)
    # the plugins really run: zeroing NL's output conv (its init) and GC's
    # last conv makes the model the stock one; perturbing NL changes it
    with torch.no_grad():
        for name, p in m.named_parameters():
            if 'context_block' in name and 'channel_add_conv.2' in name:
                p.zero_()
        for a, b in zip(m(x), stock(x)):
            torch.testing.assert_close(a, b)
        m.layer2[1].nonlocal_block_after_block.conv_out.conv.weight.normal_()
        assert not torch.allclose(m(x)[1], stock(x)[1])
        assert torch.equal(m(x)[0], stock(x)[0])  # stage 1 has no NL


def test_block_plugins_by_block_index():
    """blocks=[i, ...] puts the plugin after those blocks of each flagged
    stage (the benchmark's NL-R50 places Wang et al.'s five this way)."""
    m = build_backbone('mmdet', type='SBResNet', depth=50,
                       sb_stages=(False, ) * 4, block_plugins=[
                           dict(cfg=dict(type='ContextBlock', ratio=.25),
                                stages=(False, False, True, False),
                                blocks=[-6, 2, -1])])
    placed = sorted(name for name, _ in m.named_modules()
                    if name.endswith('_after_block'))
    assert placed == ['layer3.0.context_block_after_block',
                      'layer3.2.context_block_after_block',
                      'layer3.5.context_block_after_block']
    # 'last': the last block of a stage of 3 only; the plugin is built for
    # the bottleneck's output (conv3's 256 channels, not conv2's 64)
    m = build_backbone('mmdet', type='SBResNet', depth=50,
                       sb_stages=(False, ) * 4, block_plugins=[
                           dict(cfg=dict(type='ContextBlock', ratio=.25),
                                stages=(True, False, False, False),
                                blocks='last')])
    placed = [name for name, _ in m.named_modules()
              if name.endswith('_after_block')]
    assert placed == ['layer1.2.context_block_after_block']
    assert m.layer1[2].context_block_after_block.in_channels == 256
    m.eval()  # (mmdet's ResNet.train returns None)
    assert m(torch.randn(1, 3, 32, 32))[0].shape == (1, 256, 8, 8)


def test_block_plugins_name_their_mistakes():
    with pytest.raises(ValueError, match='block_plugins stages has 3'):
        build_backbone('mmdet', type='SBResNet', depth=18, block_plugins=[
            dict(cfg=dict(type='ContextBlock', ratio=.25),
                 stages=(True, ) * 3)])
    with pytest.raises(ValueError, match="blocks must be 'all', 'last' or"):
        build_backbone('mmdet', type='SBResNet', depth=18, block_plugins=[
            dict(cfg=dict(type='ContextBlock', ratio=.25), blocks='first')])
    with pytest.raises(ValueError, match='block index 2 is out of range'):
        build_backbone('mmdet', type='SBResNet', depth=18, block_plugins=[
            dict(cfg=dict(type='ContextBlock', ratio=.25), blocks=[0, 2])])
    with pytest.raises(ValueError, match="blocks must be 'all', 'last' or"):
        build_backbone('mmdet', type='SBResNet', depth=18, block_plugins=[
            dict(cfg=dict(type='ContextBlock', ratio=.25), blocks=[True])])
    for spec in (dict(type='ContextBlock'),  # no cfg
                 dict(cfg=dict(type='ContextBlock', ratio=.25), where=1)):
        with pytest.raises(ValueError,
                           match=r'^block_plugins: each entry is dict\('):
            build_backbone('mmdet', type='SBResNet', depth=18,
                           block_plugins=[spec])
    with pytest.raises(ValueError, match='^block_plugins: cfg must be a '
                       'dict with a type, got {'):
        build_backbone('mmdet', type='SBResNet', depth=18, block_plugins=[
            dict(cfg=dict(ratio=.25))])


@pytest.mark.parametrize('lib,name,kw,stages', [
    ('mmpretrain', 'ConvNeXt', dict(arch='atto'), 4),
    ('mmseg', 'MobileNetV2', dict(), 7),
    ('mmdet', 'MobileNetV2', dict(out_indices=(2, 4, 6)), 7),
    ('mmpretrain', 'MobileNetV3', dict(arch='small'), 11),
])
def test_block_plugins_after_convnext_and_inverted_residual_blocks(
        lib, name, kw, stages):
    """The NL / GC equivalents of the benchmark: a plugin sized to each
    block's output (ConvNeXt's pointwise_conv2, the projection of an
    inverted residual), which really runs."""
    flags = (False, ) * (stages - 1) + (True, )
    m = build_backbone(lib, type=f'SB{name}', sb_stages=(False, ) * stages,
                       block_plugins=[dict(cfg=dict(type='NonLocal2d',
                                                    reduction=2),
                                           stages=flags, blocks='last')],
                       **kw)
    stock = build_backbone(lib, type=name, **kw)
    trained_like(stock)  # mmdet's init leaves 1e-8 features at layer7
    blocks = m._sb_stage_blocks()[-1]
    _, last = blocks[-1]
    assert last.after_block_plugin_names == ['nonlocal_block_after_block']
    m.load_state_dict(stock.state_dict(), strict=False)
    m.eval()
    stock.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():  # NL starts as the identity (zero output conv)
        for a, b in zip(m(x), stock(x), strict=True):
            torch.testing.assert_close(a, b)
        last.nonlocal_block_after_block.conv_out.conv.weight.normal_()
        assert any(not torch.allclose(a, b)
                   for a, b in zip(m(x), stock(x)))
