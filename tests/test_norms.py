"""The norm after the SB conv: the stock norm over its stock channels plus a
small ``sb_norm`` over the m SB maps, for every norm a config uses."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from sb_testing import LIBRARIES, build_backbone, record_calls

from sb_mm.layers.norm_with_spatial_bias import (
    NORM_TENSORS,
    attach_sb_norm,
    merge_norm_state,
    split_norm_state,
)


def _split_of(one: nn.BatchNorm2d, channels: int, cls=None):
    """A split norm holding exactly ``one``'s per-channel values."""
    cls = cls or type(one)
    stock = cls(channels, eps=one.eps, momentum=one.momentum)
    norm = attach_sb_norm(stock, one.num_features - channels)
    with torch.no_grad():
        for name in ('weight', 'bias', 'running_mean', 'running_var'):
            getattr(norm, name).copy_(getattr(one, name)[:channels])
            getattr(norm.sb_norm, name).copy_(getattr(one, name)[channels:])
    return norm


@pytest.mark.parametrize('momentum', [0.1, None])
@pytest.mark.parametrize('cls', [nn.BatchNorm2d, nn.SyncBatchNorm])
def test_split_batch_norm_is_one_batch_norm_over_all_channels(momentum, cls):
    """Per-channel statistics split exactly: outputs, gradients, running
    statistics and batch counts equal one BN over C + m (SyncBN, which runs
    as two layers, too)."""
    one = nn.BatchNorm2d(8 + 3, momentum=momentum)
    with torch.no_grad():
        one.weight.uniform_(0.5, 1.5)
        one.bias.uniform_(-0.5, 0.5)
    split = _split_of(one, 8, cls)
    for _ in range(3):
        x = torch.randn(4, 11, 5, 6, requires_grad=True)
        x2 = x.detach().clone().requires_grad_()
        a, b = one(x), split(x2)
        torch.testing.assert_close(a, b)
        a.square().sum().backward()
        b.square().sum().backward()
        torch.testing.assert_close(x.grad, x2.grad)
    torch.testing.assert_close(
        one.weight.grad, torch.cat([split.weight.grad,
                                    split.sb_norm.weight.grad]))
    for name in ('running_mean', 'running_var'):
        torch.testing.assert_close(getattr(one, name), torch.cat(
            [getattr(split, name), getattr(split.sb_norm, name)]))
    assert int(split.num_batches_tracked) == 3 == int(
        split.sb_norm.num_batches_tracked)
    one.eval()
    split.eval()
    x = torch.randn(2, 11, 5, 6)
    torch.testing.assert_close(one(x), split(x))
    assert int(split.num_batches_tracked) == 3  # not counted in eval


@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('kwargs', [
    dict(eps=1e-3), dict(affine=False), dict(track_running_stats=False),
    dict(affine=False, track_running_stats=False)])
def test_split_batch_norm_settings_compute_one_batch_norm(kwargs, train):
    """Any BatchNorm setting (eps, no affine parameters, no running
    statistics): the split norm computes one BN over C + m, as two
    ``F.batch_norm`` calls (the stock layer and its ``sb_norm``)."""
    torch.manual_seed(0)
    one = nn.BatchNorm2d(8 + 3, **kwargs).train(train)
    split = attach_sb_norm(nn.BatchNorm2d(8, **kwargs), 3).train(train)
    if one.running_mean is not None:
        with torch.no_grad():
            for layer in (one, split, split.sb_norm):
                layer.running_var.uniform_(0.5, 2)
            one.running_var.copy_(torch.cat([split.running_var,
                                             split.sb_norm.running_var]))
    x = torch.randn(4, 11, 5, 6) * 0.01  # small: eps matters
    expected = one(x)
    with pytest.MonkeyPatch.context() as mp:
        calls = record_calls(mp, F, 'batch_norm')
        out = split(x)
    torch.testing.assert_close(out, expected)
    assert len(calls) == 2


@pytest.mark.parametrize('lib', LIBRARIES)
def test_bn_backbone_keeps_stock_norm_shapes_and_parameter_count(lib):
    sb = build_backbone(lib, type='SBResNet', depth=50)
    stock = build_backbone(lib, type='ResNet', depth=50)
    block = sb.layer2[0]
    assert block.bn2.num_features == 128
    assert block.bn2.sb_norm.num_features == 3
    # every stock tensor keeps its stock shape except conv3's input columns
    mine = sb.state_dict()
    for key, value in stock.state_dict().items():
        if key.endswith('conv3.weight') and not key.startswith('layer4'):
            assert mine[key].shape[1] == value.shape[1] + 3, key
        else:
            assert mine[key].shape == value.shape, key


def _old_layout(state: dict) -> dict:
    """A state dict as sb_mm 0.1 saved it: one norm over C + m."""
    old = {}
    for key, value in state.items():
        if '.sb_norm.' in key:
            continue
        base, _, tensor = key.rpartition('.')
        sb_key = f'{base}.sb_norm.{tensor}'
        if sb_key in state and tensor != 'num_batches_tracked':
            value = torch.cat([value, state[sb_key]])
        old[key] = value
    return old


@pytest.mark.parametrize('lib', LIBRARIES)
def test_checkpoints_of_the_one_norm_layout_still_load(lib):
    torch.manual_seed(0)
    trained = build_backbone(lib, type='SBResNet', depth=18)
    with torch.no_grad():  # statistics a trained model would have
        for m in trained.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.5, 2)
                m.weight.uniform_(0.5, 1.5)
    old = _old_layout(trained.state_dict())
    assert old['layer1.0.bn1.weight'].shape == (64 + 3, )
    fresh = build_backbone(lib, type='SBResNet', depth=18)
    result = fresh.load_state_dict(old, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    for key, value in trained.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key
    # merge_norm_state (the converters' way back to that layout) gives it
    merged, state = [], dict(trained.state_dict())
    bases = sorted({k.split('sb_norm.')[0] for k in state if 'sb_norm.' in k})
    for base in bases:
        merged += merge_norm_state(state, base)
    assert state.keys() == old.keys()
    for key, value in old.items():
        assert torch.equal(state[key], value), key
    assert merged == [f'{b}{t}' for b in bases for t in NORM_TENSORS]
    x = torch.randn(2, 3, 64, 80)
    trained.eval()
    fresh.eval()
    torch.testing.assert_close(fresh(x)[-1], trained(x)[-1])


def test_split_and_merge_norm_state_by_hand():
    """One norm over C + m saved as one layer <-> the stock norm over C and
    ``sb_norm`` over m, per tensor; with and without affine parameters."""
    full = {f'n.{t}': torch.arange(7.) + 10 * i
            for i, t in enumerate(NORM_TENSORS)}
    full['n.num_batches_tracked'] = torch.tensor(5)
    for keep in (NORM_TENSORS, NORM_TENSORS[2:]):  # BN, BN(affine=False)
        original = {k: v for k, v in full.items()
                    if k.split('.')[-1] in keep + ('num_batches_tracked', )}
        state = {k: v.clone() for k, v in original.items()}
        assert split_norm_state(state, 'n.', 4) == [f'n.{t}' for t in keep]
        for t in keep:
            assert torch.equal(state[f'n.{t}'], original[f'n.{t}'][:4])
            assert torch.equal(state[f'n.sb_norm.{t}'],
                               original[f'n.{t}'][4:])
        assert int(state['n.sb_norm.num_batches_tracked']) == 5
        assert split_norm_state(state, 'n.', 4) == []  # already split
        assert merge_norm_state(state, 'n.') == [f'n.{t}' for t in keep]
        assert state.keys() == original.keys()
        assert all(torch.equal(state[k], v) for k, v in original.items())
    # a norm without running statistics (track_running_stats=False)
    affine = {k: full[k] for k in ('n.weight', 'n.bias')}
    state = dict(affine)
    assert split_norm_state(state, 'n.', 4) == ['n.weight', 'n.bias']
    assert merge_norm_state(state, 'n.') == ['n.weight', 'n.bias']
    assert state.keys() == affine.keys()
    assert all(torch.equal(state[k], v) for k, v in affine.items())
    # a norm of the stock width: nothing to split, no sb_norm key made
    stock = {k: v[:4] if v.dim() else v for k, v in full.items()}
    assert split_norm_state(stock, 'n.', 4) == []
    assert stock.keys() == full.keys()


def test_sb_norm_for_a_split_norm_is_of_the_stock_type():
    """Asked for the maps' norm beside a norm that is already split (its
    class the mixed one), ``sb_norm_for`` makes one of the stock type with
    the same settings."""
    from sb_mm.layers import sb_norm_for
    norm = attach_sb_norm(nn.BatchNorm2d(8, eps=1e-3, momentum=0.3,
                                         affine=False), 3)
    assert type(norm) is not nn.BatchNorm2d
    new = sb_norm_for(norm, 2)
    assert type(new) is nn.BatchNorm2d and new.num_features == 2
    assert (new.eps, new.momentum, new.affine, new.track_running_stats) == \
        (1e-3, 0.3, False, True)


def test_sb_norm_for_other_norms_is_a_group_norm_with_their_settings():
    """Beside a norm that is not a BatchNorm the maps get GroupNorm(1, m):
    eps and affine as the norm's (LayerNorm says affine as
    ``elementwise_affine``), the defaults where it has neither, and the
    norm's ``requires_grad``."""
    from sb_mm.layers import sb_norm_for

    class Scale(nn.Module):  # a norm-like layer with neither setting
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(8))

    frozen = nn.GroupNorm(4, 8, eps=1e-3)
    frozen.weight.requires_grad_(False)
    cases = [  # (norm, eps, affine, weight requires_grad)
        (nn.GroupNorm(4, 8, eps=1e-3, affine=False), 1e-3, False, None),
        (frozen, 1e-3, True, False),
        (nn.LayerNorm(8, eps=1e-4, elementwise_affine=False), 1e-4, False,
         None),
        (nn.LayerNorm(8), 1e-5, True, True),
        (Scale(), 1e-5, True, True),
    ]
    for norm, eps, affine, grad in cases:
        new = sb_norm_for(norm, 3)
        assert type(new) is nn.GroupNorm, norm
        assert (new.num_groups, new.num_channels, new.eps, new.affine) == \
            (1, 3, eps, affine), norm
        if affine:
            assert new.weight.requires_grad == grad, norm
            # each norm's bias trains, or it has none
            assert new.bias.requires_grad


GN_CASES = [
    dict(norm_cfg=dict(type='GN', num_groups=32, requires_grad=True)),
    dict(norm_cfg=dict(type='GN', num_groups=32, requires_grad=True),
         conv_cfg=dict(type='ConvWS')),
]


@pytest.mark.parametrize('lib', ['mmdet', 'mmseg'])
@pytest.mark.parametrize('case', range(len(GN_CASES)))
def test_group_norm_backbones_build_train_and_load_stock_weights(lib, case):
    """GroupNorm (and GN + weight standardisation) configs: the stock GN
    keeps its 32 groups over its stock channels, the maps get GroupNorm(1,
    m); a stock GN checkpoint loads function-preservingly."""
    kw = GN_CASES[case]
    if lib == 'mmseg' and 'conv_cfg' in kw:
        pytest.skip('mmseg has no ConvWS configs')
    torch.manual_seed(0)
    sb = build_backbone(lib, type='SBResNet', depth=50, **kw)
    stock = build_backbone(lib, type='ResNet', depth=50, **kw)
    norm = sb.layer1[0].gn2
    assert (norm.num_groups, norm.num_channels) == (32, 64)
    assert isinstance(norm.sb_norm, nn.GroupNorm)
    assert (norm.sb_norm.num_groups, norm.sb_norm.num_channels) == (1, 3)
    sb.train()
    out = sb(torch.randn(2, 3, 64, 64))
    sum(o.mean() for o in out).backward()
    assert sb.layer1[0].conv2.sb.mix.weight.grad is not None
    assert torch.isfinite(norm.sb_norm.weight.grad).all()
    # a stock GN checkpoint: same outputs right after loading
    sb2 = build_backbone(lib, type='SBResNet', depth=50, **kw)
    sb2.load_state_dict(stock.state_dict(), strict=False)
    sb2.eval()
    stock.eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        got, want = sb2(x)[-1], stock(x)[-1]
    # float32 sums in another order (the thread count) differ in the last
    # bits: the tolerance follows the outputs' scale
    torch.testing.assert_close(got, want, rtol=1e-5,
                               atol=1e-5 * float(want.abs().max()))


def test_add_spatial_bias_on_a_custom_block():
    """The SB-backbone guide's example (docs/en/user_guides/
    sb_backbone.md): SB in a torchvision Bottleneck with one call;
    its forward runs unchanged, stock names and shapes stay but conv3's
    input and bn2's sb_norm, and the maps reach the output."""
    from torchvision.models.resnet import Bottleneck

    from sb_mm.layers import add_spatial_bias
    torch.manual_seed(0)
    block = Bottleneck(256, 64)
    stock = {k: v.shape for k, v in block.state_dict().items()}
    sb = add_spatial_bias(block, conv='conv2', norm='bn2', consumer='conv3')
    assert block.conv2.sb is sb
    x = torch.randn(2, 256, 20, 28)
    out = block(x)
    assert out.shape == (2, 256, 20, 28)
    state = block.state_dict()
    for key, shape in stock.items():
        if key == 'conv3.weight':
            assert state[key].shape == (256, 64 + 3, 1, 1)
        else:
            assert state[key].shape == shape, key
    assert {k for k in state if k not in stock} == {
        *(f'conv2.sb.{k}' for k in sb.state_dict()),
        *(f'bn2.sb_norm.{k}' for k in block.bn2.sb_norm.state_dict())}
    out.sum().backward()
    assert sb.mix.weight.grad.abs().sum() > 0


def test_add_spatial_bias_from_the_consumers_input():
    """conv=None (Res2Net-style blocks): conv3 computes the maps from its
    own input, normalises them and reads them beside it; with its new
    columns at zero the block computes what it computed before."""
    from torchvision.models.resnet import Bottleneck

    from sb_mm.layers import add_spatial_bias
    torch.manual_seed(0)
    block = Bottleneck(256, 64).eval()
    x = torch.randn(2, 256, 20, 28)
    with torch.no_grad():
        before = block(x)
    stock_weight = block.conv3.weight.detach().clone()
    sb = add_spatial_bias(block, conv=None, consumer='conv3')
    assert block.conv3.sb is sb and block.conv3.weight.shape == (256, 67, 1, 1)
    with torch.no_grad():
        block.conv3.weight.zero_()
        block.conv3.weight[:, :64] = stock_weight
        assert torch.equal(block(x), before)
    fresh = Bottleneck(256, 64)  # fresh columns: the maps reach the output
    sb = add_spatial_bias(fresh, conv=None, consumer='conv3')
    fresh(x).sum().backward()
    assert sb.mix.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='norm=None'):
        add_spatial_bias(Bottleneck(256, 64), conv=None, norm='bn2',
                         consumer='conv3')
