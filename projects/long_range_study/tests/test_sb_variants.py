"""Issue 19's SB variants beyond the paper, registered by the project as
``sb_cfg`` keys (``shared_mix``, ``add_to_output``), and the gradient
statistics hook its diagnosis logs."""
import pytest
import torch
import torch.nn.functional as F
from sb_is_there import assert_sb_is_there
from sb_testing import LIBRARIES, build_backbone

from projects.long_range_study.study import SBGradientStatsHook
from projects.long_range_study.study.sb_gradient_stats_hook import (
    sb_parameter_groups,
)
from projects.long_range_study.study.shared_mix import attach_shared_mix
from sb_mm.layers import SpatialBias
from sb_mm.models.sb_settings import SB_CFG_OPTIONS


def test_the_project_registers_its_keys():
    assert {'shared_mix', 'add_to_output'} <= set(SB_CFG_OPTIONS)


def test_shared_mix_starts_as_the_paper_layer():
    paper = SpatialBias(16).eval()
    shared = attach_shared_mix(SpatialBias(16)).eval()
    shared.load_state_dict(paper.state_dict(), strict=False)
    x = torch.randn(2, 16, 23, 31)
    assert torch.equal(paper(x), shared(x))
    assert 'mix_shared' not in paper.state_dict()
    assert shared.mix_shared.shape == (1, 100, 3)
    assert not shared.mix_shared.any()
    assert shared.extra_repr().endswith(', shared_mix=True')


@pytest.mark.parametrize('train', [True, False])
def test_shared_mix_is_added_to_every_row(train):
    """The shared row enters every output position: the layer equals the
    paper's layer whose every Conv1d row has it added."""
    layer = attach_shared_mix(SpatialBias(8, grid_size=4)).train(train)
    with torch.no_grad():
        layer.mix_shared.normal_()
    x = torch.randn(3, 8, 9, 7)
    reference = SpatialBias(8, grid_size=4).train(train)
    reference.load_state_dict(
        {k: v for k, v in layer.state_dict().items() if k != 'mix_shared'})
    with torch.no_grad():
        reference.mix.weight += layer.mix_shared
    assert torch.allclose(layer(x), reference(x), atol=1e-5)


def test_shared_mix_gradient_sums_every_position():
    """What makes it learn from every object: its gradient is the sum over
    output positions of the per-position rows' gradients."""
    layer = attach_shared_mix(SpatialBias(8, grid_size=4))
    layer(torch.randn(2, 8, 12, 12)).square().sum().backward()
    assert torch.allclose(layer.mix_shared.grad[0],
                          layer.mix.weight.grad.sum(0), atol=1e-5)


def test_shared_mix_must_be_a_bool():
    with pytest.raises(ValueError, match="shared_mix must be a bool, got "
                       "'yes'"):
        build_backbone('mmdet', type='SBResNet', depth=18,
                       sb_cfg=dict(shared_mix='yes'))


@pytest.mark.parametrize('lib', LIBRARIES)
def test_sb_cfg_shared_mix_reaches_every_layer(lib):
    stock = build_backbone(lib, type='SBResNet', depth=18, base_channels=16)
    shared = build_backbone(lib, type='SBResNet', depth=18, base_channels=16,
                            sb_cfg=dict(shared_mix=True))
    layers = [m for m in shared.modules() if isinstance(m, SpatialBias)]
    assert layers and all(hasattr(m, 'mix_shared') for m in layers)
    assert not any(hasattr(m, 'mix_shared') for m in stock.modules())
    extra = sum(p.numel() for p in shared.parameters()) - \
        sum(p.numel() for p in stock.parameters())
    assert extra == len(layers) * 100 * 3


def test_shared_mix_follows_frozen_stages():
    model = build_backbone('mmdet', type='SBResNet', depth=18,
                           frozen_stages=1, sb_cfg=dict(shared_mix=True))
    assert not model.layer1[0].conv1.sb.mix_shared.requires_grad
    assert model.layer2[0].conv1.sb.mix_shared.requires_grad


@pytest.mark.parametrize('sb_cfg', [dict(add_to_output=True),
                                    dict(shared_mix=True)])
def test_variants_keep_sb_there(sb_cfg):
    """The library's "is SB really there" check with each variant (its
    parameters, ``mix_shared`` and ``sb_to_output``, get gradients)."""
    model = build_backbone('mmdet', type='SBResNet', depth=18,
                           base_channels=16, sb_cfg=sb_cfg)
    assert_sb_is_there(model, torch.randn(2, 3, 64, 64),
                       sb_names=('sb_to_output', ))


class _Runner:
    """What the hook reads of a runner."""

    def __init__(self, model):
        from mmengine.logging import MessageHub
        self.model = model
        self.message_hub = MessageHub.get_instance('test_sb_gradient_hook')


def test_gradient_hook_reads_the_sb_parameters_and_columns():
    backbone = build_backbone('mmdet', type='SBResNet', depth=18,
                              base_channels=16, num_stages=2,
                              strides=(1, 2), dilations=(1, 1),
                              out_indices=(0, 1))
    runner = _Runner(backbone)
    hook = SBGradientStatsHook()
    hook.before_train(runner)
    outs = backbone(torch.randn(2, 3, 64, 48))
    sum(o.square().mean() for o in outs).backward()
    hook.after_train_iter(runner, 0)
    scalars = runner.message_hub.log_scalars

    def rms(tensors):
        return (sum(float(t.pow(2).sum()) for t in tensors) /
                sum(t.numel() for t in tensors))**0.5

    groups = sb_parameter_groups(backbone)
    consumers = [backbone.get_submodule(n)
                 for n in backbone._sb_widened_convs]
    assert len(groups['consumer_sb']) == len(consumers) == 4
    expected = dict(
        mix=rms([m.sb.mix.weight.grad for m in
                 [backbone.get_submodule(f'layer{s}.{b}.conv1')
                  for s in (1, 2) for b in (0, 1)]]),
        consumer_sb=rms([c.weight.grad[:, c.in_channels - 3:]
                         for c in consumers]),
        consumer_stock=rms([c.weight.grad[:, :c.in_channels - 3]
                            for c in consumers]))
    for key, value in expected.items():
        got = scalars[f'train/sb_grad_{key}'].current()
        assert got == pytest.approx(value, rel=1e-4), key
        assert value > 0
    gates = [backbone.get_submodule(f'layer{s}.{b}.norm2').weight
             for s in (1, 2) for b in (0, 1)]
    assert scalars['train/sb_branch_gate'].current() == pytest.approx(
        float(torch.cat(gates).abs().mean()))
    hit = scalars['train/sb_mix_rows_hit'].current()
    assert 0 < hit <= 1
    hook.after_train(runner)
    assert not hook._handles


def test_gradient_hook_row_share_sees_positions_without_gradient():
    """sb_mix_rows_hit counts the grid positions whose mixing row got a
    gradient: a loss on one corner of the maps reaches few rows."""
    layer = SpatialBias(8, grid_size=4)
    hook = SBGradientStatsHook()
    layer.mix.weight.register_post_accumulate_grad_hook(hook._row_reader)
    layer.grid_maps(torch.randn(1, 8, 8, 8))[:, :, :1, :1].sum().backward()
    assert hook._rows_hit == [pytest.approx(1 / 16)]


# -- add_to_output: the maps also reach the residual sum --------------------
def _basic_sb(lib='mmdet', init_cfg=None, **sb_cfg):
    extra = {} if init_cfg is None else dict(init_cfg=init_cfg)
    return build_backbone(lib, type='SBResNet', depth=18, base_channels=16,
                          num_stages=2, strides=(1, 2), dilations=(1, 1),
                          out_indices=(0, 1), sb_cfg=sb_cfg, **extra)


@pytest.mark.parametrize('lib', LIBRARIES)
def test_add_to_output_starts_as_the_paper_block(lib):
    torch.manual_seed(0)
    paper = _basic_sb(lib)
    torch.manual_seed(0)
    added = _basic_sb(lib, add_to_output=True)
    paper.eval()
    added.eval()
    assert not any(hasattr(m, 'sb_to_output') for m in paper.modules())
    blocks = [m for m in added.modules() if hasattr(m, 'sb_to_output')]
    assert len(blocks) == 4
    added.load_state_dict(paper.state_dict(), strict=False)
    x = torch.randn(2, 3, 48, 40)
    for a, b in zip(added(x), paper(x)):
        assert torch.equal(a, b)


def test_add_to_output_adds_the_blocks_own_maps():
    """The block returns the paper's block output plus the 1x1 conv of the
    maps its emitting conv computed from the block input."""
    model = _basic_sb(add_to_output=True)
    model.eval()
    block = model.layer2[0]
    x = torch.randn(2, 16, 24, 20)
    with torch.no_grad():
        plain = block(x)  # sb_to_output is zero: the paper's block
        weight = torch.randn_like(block.sb_to_output.weight)
        bias = torch.randn_like(block.sb_to_output.bias)
        block.sb_to_output.weight.copy_(weight)
        block.sb_to_output.bias.copy_(bias)
        out = block(x)
        maps = block.conv1.sb(x, plain.shape[-2:])
    assert torch.allclose(out - plain, F.conv2d(maps, weight, bias),
                          atol=1e-5)
    assert not block.conv1.sb._forward_hooks  # the reader hook is gone


def test_add_to_output_learns_while_the_branch_is_closed():
    """Why it exists: with the libraries' zero_init_residual the branch's
    last norm starts at zero, so no gradient reaches the paper's SB
    (mix, consumer columns); the direct path's conv gets one at once."""
    x = torch.randn(2, 3, 48, 40)
    for add in (False, True):
        model = _basic_sb(add_to_output=add)
        model.init_weights()
        blocks = [model.layer1[0], model.layer1[1], model.layer2[0],
                  model.layer2[1]]
        assert all(float(b.norm2.weight.abs().max()) == 0 for b in blocks)
        sum(o.square().mean() for o in model(x)).backward()
        mix = [b.conv1.sb.mix.weight.grad for b in blocks]
        assert all(g is None or float(g.abs().max()) == 0 for g in mix)
        if add:
            assert all(float(b.sb_to_output.weight.grad.abs().max()) > 0
                       for b in blocks)


@pytest.mark.parametrize('as_list', [False, True])
def test_add_to_output_starts_at_zero_unless_pretrained(tmp_path, as_list):
    """init_weights: the library's Kaiming rule re-initialises every conv,
    then ``sb_to_output`` goes back to zero; a Pretrained ``init_cfg`` (a
    dict, or one entry of a list) keeps what it loaded."""
    def to_output(model):
        return {k: v for k, v in model.state_dict().items()
                if 'sb_to_output' in k}

    torch.manual_seed(0)
    trained = _basic_sb(add_to_output=True)
    with torch.no_grad():
        for tensor in to_output(trained).values():
            tensor.normal_()
    path = tmp_path / 'trained.pth'
    torch.save(dict(state_dict=trained.state_dict()), path)
    fresh = _basic_sb(add_to_output=True)
    fresh.init_weights()
    assert len(to_output(fresh)) == 8
    assert all(float(v.abs().max()) == 0 for v in to_output(fresh).values())
    init = dict(type='Pretrained', checkpoint=str(path))
    loaded = _basic_sb(init_cfg=[init] if as_list else init,
                       add_to_output=True)
    loaded.init_weights()
    for key, value in to_output(trained).items():
        assert torch.equal(loaded.state_dict()[key], value), key


def test_add_to_output_is_checked():
    with pytest.raises(ValueError, match='add_to_output must be a bool'):
        _basic_sb(add_to_output='yes')
    with pytest.raises(ValueError) as info:
        build_backbone('mmdet', type='SBRes2Net', depth=50,
                       sb_cfg=dict(add_to_output=True))
    assert str(info.value) == (
        'sb_cfg.add_to_output: SBRes2Net computes its maps inside the '
        'consumer conv (Res2Net); the option needs a conv that emits them')


class _ScaledConv(torch.nn.Conv2d):
    """A conv whose forward takes more arguments than the input."""

    def forward(self, x, scale=1.0, *, shift=0.0):
        return super().forward(x) * scale + shift


class _ToyBlock(torch.nn.Module):

    def __init__(self, channels=8, maps=3):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(channels, channels, 1)
        self.conv2 = _ScaledConv(channels, channels, 3, padding=1)
        self.conv3 = torch.nn.Conv2d(channels + maps, channels, 1)

    def forward(self, x, scale=1.0, *, shift=0.0):
        return x + self.conv3(self.conv2(self.conv1(x), scale, shift=shift))


def test_maps_to_output_block_passes_arguments_and_lets_the_maps_go():
    from projects.long_range_study.study.maps_to_output import (
        attach_maps_to_output,
    )
    from sb_mm.layers import attach_spatial_bias
    block = _ToyBlock()
    attach_spatial_bias(block.conv2, SpatialBias(8).eval())
    conv = attach_maps_to_output(block, 'conv2', 3, 8)
    with torch.no_grad():
        conv.weight.normal_()
        conv.bias.normal_()
    x = torch.randn(2, 8, 12, 10)
    out = block(x, 2.0, shift=0.5)
    maps = block.conv2.sb(block.conv1(x), (12, 10))
    expected = _ToyBlock.forward(block, x, 2.0, shift=0.5) + conv(maps)
    torch.testing.assert_close(out, expected)
    assert not block.conv2.sb._forward_hooks  # nothing kept after forward


@pytest.mark.parametrize('sb_cfg', [dict(add_to_output=True),
                                    dict(shared_mix=True)])
def test_variant_models_pickle(sb_cfg):
    """The swapped classes are published in the project's modules, so a
    model with a variant pickles (as ``copy.deepcopy`` and multiprocessing
    need) and comes back with the same classes and tensors."""
    import pickle
    model = build_backbone('mmdet', type='SBResNet', depth=18,
                           base_channels=16, sb_cfg=sb_cfg)
    copy = pickle.loads(pickle.dumps(model))
    kinds = {type(m).__module__ for m in model.modules()}
    assert any(k.startswith('projects.long_range_study.study.') for k in kinds)
    assert [type(m) for m in copy.modules()] == \
        [type(m) for m in model.modules()]
    for (k, a), b in zip(model.state_dict().items(),
                         copy.state_dict().values()):
        assert torch.equal(a, b), k


@pytest.mark.parametrize('lib', LIBRARIES)
def test_gradient_hook_is_registered_for_every_library(lib):
    """Importing the project registers the hook once, in mmengine's root
    HOOKS, where each library's configs find it."""
    import importlib

    from mmengine.registry import HOOKS, DefaultScope
    registry = importlib.import_module(f'{lib}.registry')
    assert HOOKS.module_dict['SBGradientStatsHook'] is SBGradientStatsHook
    with DefaultScope.overwrite_default_scope(lib):
        hook = registry.HOOKS.build(dict(type='SBGradientStatsHook'))
    assert type(hook) is SBGradientStatsHook
