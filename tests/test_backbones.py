import copy
import pickle

import pytest
import torch
from sb_testing import LIBRARIES, build_backbone, registry

# (stock type, SB type, extra kwargs) per library; mmdet has no ResNetV1c,
# its equivalent is ResNet(deep_stem=True).
VARIANTS = {
    'mmdet': [('ResNet', 'SBResNet', {}),
              ('ResNet', 'SBResNetV1c', dict(deep_stem=True)),
              ('ResNetV1d', 'SBResNetV1d', {})],
    'mmseg': [('ResNet', 'SBResNet', {}), ('ResNetV1c', 'SBResNetV1c', {}),
              ('ResNetV1d', 'SBResNetV1d', {})],
    'mmpretrain': [('ResNet', 'SBResNet', {}),
                   ('ResNetV1c', 'SBResNetV1c', {}),
                   ('ResNetV1d', 'SBResNetV1d', {})],
}
OUT = (0, 1, 2, 3)


def _pair(lib, stock_type, sb_type, stock_extra, depth, sb_stages, **kw):
    stock = build_backbone(lib, type=stock_type, depth=depth, out_indices=OUT,
                           **stock_extra, **kw)
    sb = build_backbone(lib, type=sb_type, depth=depth, out_indices=OUT,
                        sb_stages=sb_stages, **kw)
    return stock, sb


@pytest.mark.parametrize('lib', LIBRARIES)
@pytest.mark.parametrize('depth', [18, 50, 101])
@pytest.mark.parametrize('variant', [0, 1, 2])
def test_parity_without_spatial_bias(lib, depth, variant):
    stock_type, sb_type, extra = VARIANTS[lib][variant]
    stock, sb = _pair(lib, stock_type, sb_type, extra, depth,
                      (False, ) * 4)
    s_sd, b_sd = stock.state_dict(), sb.state_dict()
    assert list(s_sd) == list(b_sd)
    assert all(s_sd[k].shape == b_sd[k].shape for k in s_sd)
    stock.init_weights()
    sb.load_state_dict(stock.state_dict())
    stock.eval()
    sb.eval()
    x = torch.randn(1, 3, 64, 48)
    for a, b in zip(stock(x), sb(x)):
        assert torch.equal(a, b)


@pytest.mark.parametrize('lib', LIBRARIES)
def test_sb_names_are_stock_names_plus_sb(lib):
    stock, sb = _pair(lib, 'ResNet', 'SBResNet', {}, 50, (True, ) * 3 + (
        False, ))
    s_keys, b_keys = set(stock.state_dict()), set(sb.state_dict())
    assert s_keys <= b_keys
    extra = b_keys - s_keys
    assert extra and all('.conv2.sb.' in k or '.bn2.sb_norm.' in k
                         for k in extra)
    # layers 1-3 carry SB, layer4 none: 3 + 4 + 6 blocks
    blocks = {k.split('.conv2.sb.')[0] for k in extra if '.conv2.sb.' in k}
    assert blocks == {k.split('.bn2.sb_norm.')[0] for k in extra
                      if '.bn2.sb_norm.' in k}
    assert len(blocks) == 13
    assert not any(b.startswith('layer4') for b in blocks)


def _stock_checkpoint(lib, tmp_path, **kw):
    stock = build_backbone(lib, type='ResNet', depth=50, out_indices=OUT, **kw)
    stock.init_weights()
    # non-trivial running statistics, as a trained checkpoint has
    for m in stock.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
    path = tmp_path / 'stock_r50.pth'
    torch.save(stock.state_dict(), path)
    stock.eval()  # mmdet's ResNet.train() returns None: no chaining
    return stock, path


def _sb_from_checkpoint(lib, path):
    """SB-ResNet-50 initialised from ``path`` through init_cfg."""
    sb = build_backbone(
        lib, type='SBResNet', depth=50, out_indices=OUT,
        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    sb.init_weights()
    return sb


@pytest.mark.parametrize('lib', LIBRARIES)
def test_function_preserving_load_via_init_cfg(lib, tmp_path):
    stock, path = _stock_checkpoint(lib, tmp_path)
    sb = _sb_from_checkpoint(lib, path)
    sb.eval()
    x = torch.randn(2, 3, 96, 80)
    with torch.no_grad():
        for a, b in zip(stock(x), sb(x)):
            # float32 summation order differs between the 64- and the
            # 67-channel conv3 (oneDNN picks kernels by thread count): equal
            # to 1e-5 of the outputs' scale
            torch.testing.assert_close(b, a, rtol=1e-5,
                                       atol=1e-5 * float(a.abs().max()))
    # the SB columns of conv3 are zero, the stock columns are the checkpoint's
    w = sb.layer1[0].conv3.weight
    assert w.shape[1] == 64 + 3
    assert torch.equal(w[:, 64:], torch.zeros_like(w[:, 64:]))
    assert torch.equal(w[:, :64], stock.layer1[0].conv3.weight)
    # and the SB itself is really there: changing conv3's SB columns matters
    with torch.no_grad():
        w[:, 64:] = 0.1
        assert not torch.allclose(sb(x)[0], stock(x)[0], atol=1e-3)


def test_function_preserving_load_logs_new_tensors(tmp_path):
    import logging

    from mmengine.logging import MMLogger

    # a logger of its own per run (a second pytest session in the same
    # process, as mutmut runs, must not get the first one's closed streams)
    logger = MMLogger.get_instance(f'sb_load_test_{id(tmp_path)}',
                                   log_file=str(tmp_path / 'log.txt'))
    stock, path = _stock_checkpoint('mmdet', tmp_path)
    sb = build_backbone('mmdet', type='SBResNet', depth=50)
    sb.load_state_dict(torch.load(path), strict=False)
    for h in logger.handlers:
        if isinstance(h, logging.FileHandler):
            h.flush()
    text = (tmp_path / 'log.txt').read_text()
    text = text[text.index('loaded a checkpoint without spatial bias'):]
    # every widened tensor and every new SB module is named
    blocks = [f'layer{i}.{j}' for i, n in ((1, 3), (2, 4), (3, 6))
              for j in range(n)]
    for block in blocks:
        assert f'{block}.conv3.weight' in text
        assert f'{block}.conv2.sb.*' in text
        assert f'{block}.bn2.sb_norm.*' in text
        # the stock norm keeps its stock shape: nothing to widen there
        assert f'{block}.bn2.weight' not in text
    assert 'Widened 13 stock tensors' in text
    assert 'layer4.0.conv3.weight' not in text  # stage 4 has no SB


@pytest.mark.parametrize('lib', LIBRARIES)
def test_gradients_reach_every_sb_parameter(lib, tmp_path):
    _, path = _stock_checkpoint(lib, tmp_path)
    sb = _sb_from_checkpoint(lib, path)
    sb.train()
    opt = torch.optim.SGD(sb.parameters(), lr=0.1)
    x = torch.randn(2, 3, 64, 64)

    def step():
        opt.zero_grad()
        sum(o.square().mean() for o in sb(x)).backward()
        opt.step()

    step()  # conv3's SB columns start at zero: they move first
    assert sb.layer1[0].conv3.weight[:, 64:].abs().sum() > 0
    step()
    sb_params = {n: p for n, p in sb.named_parameters()
                 if '.sb.' in n or '.sb_norm.' in n}
    # reduce conv, its bn w/b, mix w/b; the maps' norm w/b
    assert len(sb_params) == 13 * 7
    missing = [n for n, p in sb_params.items()
               if p.grad is None or p.grad.abs().sum() == 0]
    assert not missing, missing


@pytest.mark.parametrize('lib', LIBRARIES)
@pytest.mark.parametrize('depth', [18, 50])
@pytest.mark.parametrize('size', [(1, 800, 1216), (1, 512, 683),
                                  (2, 33, 47), (2, 32, 32)])
def test_shapes(lib, depth, size):
    batch, h, w = size
    if depth == 18 and h > 600:
        pytest.skip('large sizes are covered by depth 50')
    sb = build_backbone(lib, type='SBResNet', depth=depth, out_indices=OUT)
    stock = build_backbone(lib, type='ResNet', depth=depth, out_indices=OUT)
    sb.eval()
    stock.eval()
    x = torch.randn(batch, 3, h, w)
    with torch.no_grad():
        outs, refs = sb(x), stock(x)
    assert [o.shape for o in outs] == [r.shape for r in refs]


@pytest.mark.parametrize('lib', LIBRARIES)
def test_channels_last_and_train_mode(lib):
    sb = build_backbone(lib, type='SBResNet', depth=50, out_indices=OUT,
                        zero_init_residual=False)
    sb.init_weights()
    sb.eval()
    x = torch.randn(2, 3, 65, 97)
    _assert_sb_matters(sb, x)
    with torch.no_grad():
        ref = sb(x)
        sb_cl = copy.deepcopy(sb).to(memory_format=torch.channels_last)
        out = sb_cl(x.contiguous(memory_format=torch.channels_last))
    for a, b in zip(out, ref):
        assert a.is_contiguous(memory_format=torch.channels_last)
        # float32 rounding relative to the outputs' scale (Kaiming init
        # without zero-init residuals grows it through 16 blocks)
        torch.testing.assert_close(a, b, rtol=1e-4,
                                   atol=1e-5 * float(b.abs().max()))
    sb.train()
    outs = sb(torch.randn(1, 3, 40, 56))
    assert len(outs) == 4


def _sb_layers(model):
    from sb_mm.layers import SpatialBias
    return [m for m in model.modules() if isinstance(m, SpatialBias)]


@pytest.mark.parametrize('lib', LIBRARIES)
@pytest.mark.parametrize('fused', [True, False])
def test_sb_cfg_fused_is_accepted_and_ignored(lib, fused):
    """Configs of sb_mm 0.2 keep building: ``sb_cfg.fused`` (its fast path
    is gone) warns that it is ignored and builds the model it always
    computed, the same parameters and the same outputs."""
    torch.manual_seed(0)
    paper = build_backbone(lib, type='SBResNet', depth=18, base_channels=16)
    with pytest.warns(DeprecationWarning,
                      match='sb_cfg.fused is deprecated and ignored'):
        old = build_backbone(lib, type='SBResNet', depth=18, base_channels=16,
                             sb_cfg=dict(fused=fused))
    assert 'fused' not in old.sb_cfg
    old.load_state_dict(paper.state_dict())
    x = torch.randn(2, 3, 40, 48)
    paper.eval()
    old.eval()
    with torch.no_grad():
        for a, b in zip(paper(x), old(x)):
            assert torch.equal(a, b)


def _assert_sb_matters(model, x):
    """``model`` has SB layers and they change its output."""
    layers = _sb_layers(model)
    assert layers, 'no spatial bias in the model'
    with torch.no_grad():
        ref = [o.clone() for o in model(x)]
        for sb in layers:
            sb.mix.bias.add_(1.0)
        moved = model(x)
        for sb in layers:
            sb.mix.bias.sub_(1.0)
    assert not torch.allclose(moved[-1], ref[-1])


@pytest.mark.parametrize('lib', LIBRARIES)
def test_out_indices(lib):
    sb = build_backbone(lib, type='SBResNet', depth=50, out_indices=(1, 3))
    sb.eval()
    outs = sb(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [512, 2048]


def test_parameter_count_matches_authors_sb_resnet50():
    sb = build_backbone('mmpretrain', type='SBResNet', depth=50)
    stock = build_backbone('mmpretrain', type='ResNet', depth=50)
    count = lambda m: sum(p.numel() for p in m.parameters() if p.requires_grad)  # noqa
    assert count(stock) == 23_508_032
    assert count(sb) == 23_937_620
    head = dict(type='LinearClsHead', num_classes=1000, in_channels=2048)
    clf = build_backbone('mmpretrain', type='ImageClassifier',
                         backbone=dict(type='SBResNet', depth=50),
                         neck=dict(type='GlobalAveragePooling'), head=head)
    ref = build_backbone('mmpretrain', type='ImageClassifier',
                         backbone=dict(type='ResNet', depth=50),
                         neck=dict(type='GlobalAveragePooling'), head=head)
    assert count(clf) == 25_986_620 and count(ref) == 25_557_032


@pytest.mark.parametrize('lib', LIBRARIES)
def test_positional_arguments_reach_the_library(lib):
    """``SBResNet(18)`` as ``ResNet(18)``: the library's own positional
    arguments pass through the mixin."""
    m = registry(lib)[0].get('SBResNet')(18, sb_stages=(False, True) * 2)
    assert [len(getattr(m, name)) for name in m.res_layers] == [2] * 4
    assert m.sb_stages == (False, True, False, True)
    assert hasattr(m.layer2[0].conv1, 'sb')
    assert not hasattr(m.layer1[0].conv1, 'sb')


def test_blocks_are_told_apart_by_their_convs():
    """Where SB goes is read from the block's modules: a bottleneck that
    also keeps convs of its own in ``.convs`` is still a bottleneck (conv2
    emits, norm2 splits, conv3 reads); one without a ``norm2_name`` gets
    no split norm; a block with ``convs`` and no ``conv2`` is Res2Net's
    (conv3 computes the maps from its input)."""
    import torch.nn as nn
    m = build_backbone('mmdet', type='SBResNet', depth=50,
                       sb_stages=(False, ) * 4)
    block = m.layer1[1]
    block.convs = nn.ModuleList([nn.Conv2d(64, 64, 3, padding=1)])
    m._add_spatial_bias(block, 'layer1.1')
    assert hasattr(block.conv2, 'sb') and block.conv3.in_channels == 67
    assert block.norm2.sb_norm.num_features == 3
    block = m.layer1[2]
    del block.norm2_name
    m._add_spatial_bias(block, 'layer1.2')
    assert hasattr(block.conv2, 'sb') and block.conv3.in_channels == 67
    assert not hasattr(block.bn2, 'sb_norm')
    res2net = build_backbone('mmdet', type='SBRes2Net', depth=50,
                             sb_stages=(True, False, False, False))
    block = res2net.layer1[0]
    assert not hasattr(block, 'conv2') and hasattr(block.conv3, 'sb')


def test_basic_block_layout():
    sb = build_backbone('mmdet', type='SBResNet', depth=18)
    block = sb.layer2[0]
    assert block.conv2.in_channels == 128 + 3
    # the stock norm keeps its stock shape, the maps have their own
    assert block.norm1.num_features == 128
    assert block.norm1.sb_norm.num_features == 3
    assert block.conv1.sb.in_channels == 64  # SB reads the block input
    assert block.conv1(torch.randn(1, 64, 16, 16)).shape == (1, 131, 8, 8)


@pytest.mark.parametrize('lib', LIBRARIES)
def test_invalid_arguments_name_the_problem(lib):
    with pytest.raises(ValueError, match='sb_cfg.*grid'):
        build_backbone(lib, type='SBResNet', depth=50,
                       sb_cfg=dict(grid=10))
    with pytest.raises(ValueError, match='sb_stages'):
        build_backbone(lib, type='SBResNet', depth=50,
                       sb_stages=(True, False))
    with pytest.raises(ValueError, match='kernel_size'):
        build_backbone(lib, type='SBResNet', depth=50,
                       sb_cfg=dict(kernel_size=7))


@pytest.mark.parametrize('lib', LIBRARIES)
def test_frozen_stages_hold_for_sb_from_the_build_on(lib):
    """The libraries freeze their stages at the end of their __init__,
    before SB's modules exist: the SB ones of a frozen stage are frozen
    there too, before any ``train()`` (an optimizer or a parameter count
    made right after the build sees them frozen)."""
    sb = build_backbone(lib, type='SBResNet', depth=18, frozen_stages=1)
    assert hasattr(sb.layer1[0].conv1, 'sb')
    assert not any(p.requires_grad for p in sb.layer1.parameters())
    assert not sb.layer1[0].conv1.sb.training
    assert all(p.requires_grad for p in sb.layer2.parameters())


def test_frozen_stages_and_norm_eval():
    sb = build_backbone('mmdet', type='SBResNet', depth=50, frozen_stages=1,
                        norm_eval=True)
    sb.train()
    assert not any(p.requires_grad for p in sb.layer1.parameters())
    assert all(p.requires_grad for p in sb.layer2[0].conv2.sb.parameters())
    assert not sb.layer2[0].conv2.sb.reduce.bn.training


@pytest.mark.parametrize('lib', ['mmdet', 'mmseg'])
def test_plugins_with_spatial_bias(lib):
    plugins = [
        dict(cfg=dict(type='NonLocal2d', reduction=2),
             stages=(False, True, True, False), position='after_conv3'),
        dict(cfg=dict(type='ContextBlock', ratio=1. / 4),
             stages=(False, True, True, True), position='after_conv3'),
        dict(cfg=dict(type='GeneralizedAttention', spatial_range=-1,
                      num_heads=8, attention_type='0010', kv_stride=2),
             stages=(False, False, True, True), position='after_conv2'),
    ]
    sb = build_backbone(lib, type='SBResNet', depth=50, plugins=plugins)
    sb.eval()
    # after_conv2 plugins see planes + m channels
    assert sb.layer3[0].gen_attention_block.in_channels == 256 + 3
    outs = sb(torch.randn(1, 3, 64, 64))
    assert outs[-1].shape == (1, 2048, 2, 2)


def test_dcn_conv_gets_spatial_bias():
    sb = build_backbone('mmdet', type='SBResNet', depth=50,
                        dcn=dict(type='DCN', deform_groups=1,
                                 fallback_on_stride=False),
                        stage_with_dcn=(False, True, True, True))
    conv2 = sb.layer2[1].conv2
    assert type(conv2).__name__.endswith('WithSpatialBias')
    assert 'conv_offset.weight' in dict(conv2.named_parameters())
    # mmcv's DCN runs on the CPU: planes + 3 channels out, the last 3 the SB's
    sb.eval()
    x = torch.randn(1, 128, 12, 10)
    with torch.no_grad():
        out = conv2(x)
        assert out.shape == (1, 128 + 3, 12, 10)
        torch.testing.assert_close(out[:, 128:], conv2.sb(x, (12, 10)))
    # and the whole backbone runs through it
    with torch.no_grad():
        assert sb(torch.randn(1, 3, 128, 128))[-1].shape[1] == 2048


@pytest.mark.parametrize('lib', LIBRARIES)
def test_pickle_and_deepcopy(lib):
    sb = build_backbone(lib, type='SBResNet', depth=18,
                        zero_init_residual=False)
    sb.init_weights()
    sb.eval()
    x = torch.randn(1, 3, 32, 32)
    _assert_sb_matters(sb, x)
    for clone in (copy.deepcopy(sb), pickle.loads(pickle.dumps(sb))):
        assert len(_sb_layers(clone)) == len(_sb_layers(sb)) > 0
        for a, b in zip(clone(x), sb(x)):
            assert torch.equal(a, b)


def test_pickle_dcn_with_spatial_bias():
    """The generated ``*WithSpatialBias`` subclass of mmcv's DCN pickles."""
    sb = build_backbone('mmdet', type='SBResNet', depth=50,
                        dcn=dict(type='DCN', deform_groups=1,
                                 fallback_on_stride=False),
                        stage_with_dcn=(False, True, False, False))
    clone = pickle.loads(pickle.dumps(sb))
    conv2 = clone.layer2[1].conv2
    assert type(conv2) is type(sb.layer2[1].conv2)
    assert type(conv2).__name__ == 'DeformConv2dPackWithSpatialBias'
    assert hasattr(conv2, 'sb') and hasattr(conv2, 'conv_offset')


def test_resnext_and_cifar():
    m = build_backbone('mmpretrain', type='SBResNeXt', depth=50, groups=32,
                       width_per_group=4, zero_init_residual=False)
    m.init_weights()
    m.eval()
    assert m(torch.randn(1, 3, 64, 64))[-1].shape == (1, 2048, 2, 2)
    assert m.layer1[0].conv2.groups == 32  # ResNeXt's grouped conv2 ...
    assert m.layer1[0].conv3.in_channels == 128 + 3  # ... emits the SB maps
    _assert_sb_matters(m, torch.randn(1, 3, 64, 64))
    c = build_backbone('mmpretrain', type='SBResNet_CIFAR', depth=18,
                       zero_init_residual=False)
    c.init_weights()
    c.eval()
    assert c(torch.randn(2, 3, 32, 32))[-1].shape == (2, 512, 4, 4)
    assert c.layer1[0].conv2.in_channels == 64 + 3
    _assert_sb_matters(c, torch.randn(2, 3, 32, 32))
    d = build_backbone('mmdet', type='SBResNeXt', depth=50, groups=32,
                       base_width=4, zero_init_residual=False)
    d.init_weights()
    d.eval()
    assert d(torch.randn(1, 3, 64, 64))[-1].shape == (1, 2048, 2, 2)
    _assert_sb_matters(d, torch.randn(1, 3, 64, 64))
    e = build_backbone('mmseg', type='SBResNeXt', depth=50, groups=32,
                       base_width=4, zero_init_residual=False)
    e.init_weights()
    e.eval()
    assert e.layer2[0].conv3.in_channels == 256 + 3
    assert e(torch.randn(1, 3, 64, 64))[-1].shape == (1, 2048, 2, 2)
    _assert_sb_matters(e, torch.randn(1, 3, 64, 64))


@pytest.mark.parametrize('norm_cfg,expected', [
    (dict(type='BN', requires_grad=True), 'BatchNorm2d'),
    (dict(type='SyncBN', requires_grad=True), 'SyncBatchNorm'),
    (dict(type='GN', num_groups=1, requires_grad=True), 'BatchNorm2d'),
])
def test_default_sb_norm_follows_batchnorm_backbones(norm_cfg, expected):
    """``sb_cfg.norm_cfg=None``: the backbone's own norm if it is a
    BatchNorm type (SyncBN stays SyncBN), else BN; an explicit one wins."""
    sb = build_backbone('mmdet', type='SBResNet', depth=18,
                        norm_cfg=norm_cfg)
    reduce = sb.layer1[0].conv1.sb.reduce
    assert type(getattr(reduce, reduce.norm_name)).__name__ == expected
    sb = build_backbone('mmdet', type='SBResNet', depth=18,
                        norm_cfg=norm_cfg,
                        sb_cfg=dict(norm_cfg=dict(type='GN', num_groups=5)))
    reduce = sb.layer1[0].conv1.sb.reduce
    assert type(getattr(reduce, reduce.norm_name)).__name__ == 'GroupNorm'


@pytest.mark.parametrize('key', ['shared_mix', 'add_to_output'])
def test_study_variant_keys_say_where_they_live(key, monkeypatch):
    """The long-range study's variants are not options of the library:
    without its project imported, their keys name the project and how to
    import it (with it imported they are registered options)."""
    from sb_mm.models import sb_settings
    monkeypatch.setattr(sb_settings, 'SB_CFG_OPTIONS', {})
    with pytest.raises(ValueError) as info:
        build_backbone('mmdet', type='SBResNet', depth=18,
                       sb_cfg={key: True})
    assert str(info.value) == (
        f'sb_cfg: {key} is a variant of the long-range study, not an option '
        'of the library: it lives in projects/long_range_study/ (add '
        "'projects.long_range_study.study' to custom_imports, with the "
        'repository root on PYTHONPATH)')


def test_registered_sb_cfg_option_reaches_every_block(monkeypatch):
    """A project's option (``SBCfgOption``): its key is valid and checked,
    ``add_to_block`` runs for every block with SB (with the emitting conv's
    name and the block's SB layer) and ``init_weights`` after the
    library's, not after a Pretrained init; a library key cannot be
    taken."""
    from sb_mm.models import sb_settings
    monkeypatch.setattr(sb_settings, 'SB_CFG_OPTIONS', {})
    seen = []

    class Tag(sb_settings.SBCfgOption):
        name, default = 'tag', None

        def check(self, value):
            if not isinstance(value, str):
                raise ValueError('sb_cfg: tag must be a str')
            return value.upper()

        def add_to_block(self, backbone, block, emit, sb, value):
            seen.append((type(block).__name__, emit, sb.in_channels, value))

        def init_weights(self, backbone, value):
            seen.append(('init', value))

    sb_settings.register_sb_cfg_option(Tag())
    with pytest.raises(ValueError, match='is not a free sb_cfg key'):
        sb_settings.register_sb_cfg_option(
            type('Grid', (sb_settings.SBCfgOption, ), dict(
                name='grid_size'))())
    with pytest.raises(ValueError, match='tag must be a str'):
        build_backbone('mmdet', type='SBResNet', depth=18,
                       sb_cfg=dict(tag=1))
    model = build_backbone('mmdet', type='SBResNet', depth=18,
                           sb_stages=(False, True, False, False),
                           sb_cfg=dict(tag='x'))
    assert model.sb_cfg['tag'] == 'X'
    # layer2's two blocks: conv1 reads 64 channels, then 128
    assert seen == [('BasicBlock', 'conv1', 64, 'X'),
                    ('BasicBlock', 'conv1', 128, 'X')]
    model.init_weights()
    assert seen[-1] == ('init', 'X')
    seen.clear()
    build_backbone('mmdet', type='SBResNet', depth=18)  # key left out
    assert seen == []
