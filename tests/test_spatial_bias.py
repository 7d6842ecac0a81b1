
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from sb_mm.layers import SpatialBias
from sb_mm.layers.spatial_bias import adaptive_avg_pool_exportable


def reference_spatial_bias(sb: SpatialBias, x, out_size):
    """The paper's steps written out independently (einsum for the 1-D
    conv)."""
    y = F.conv2d(x, sb.reduce.conv.weight)
    bn = sb.reduce.bn
    if sb.training:
        mean = y.mean((0, 2, 3))
        var = y.var((0, 2, 3), unbiased=False)
    else:
        mean, var = bn.running_mean, bn.running_var
    y = (y - mean[None, :, None, None]) / torch.sqrt(
        var[None, :, None, None] + bn.eps)
    y = y * bn.weight[None, :, None, None] + bn.bias[None, :, None, None]
    y = y.clamp_min(0)
    g, r, k = sb.grid_size, sb.reduced_channels, sb.kernel_size
    y = F.adaptive_avg_pool2d(y, g)  # (B, r, g, g)
    seq = y.reshape(y.shape[0], r, g * g).permute(0, 2, 1)  # (B, N, r)
    w = sb.mix.weight  # (N_out, N_in, k)
    m = r - k + 1
    windows = torch.stack([seq[:, :, t:t + m] for t in range(k)], -1)
    out = torch.einsum('oik,bijk->boj', w, windows) + sb.mix.bias[:, None]
    maps = out.permute(0, 2, 1).reshape(y.shape[0], m, g, g)
    return F.interpolate(maps, size=out_size, mode='bilinear',
                         align_corners=False)


@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('shape,out_size', [
    ((1, 16, 32, 32), (32, 32)),  # batch 1
    ((2, 16, 33, 47), (17, 24)),  # odd, non-square, resized to another size
    ((3, 8, 4, 4), (4, 4)),  # smaller than the 10x10 grid
    ((2, 16, 64, 20), (64, 20)),
])
def test_matches_reference(shape, out_size, train):
    torch.manual_seed(0)
    sb = SpatialBias(shape[1])
    sb.reduce.bn.running_mean.uniform_(-0.2, 0.2)
    sb.reduce.bn.running_var.uniform_(0.5, 2.0)
    sb.train(train)
    x = torch.randn(*shape)
    out = sb(x, out_size)
    assert out.shape == (shape[0], 3, *out_size)
    ref = reference_spatial_bias(sb, x, out_size)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-4)


def test_non_local_mixing():
    """Every output position depends on every input grid position."""
    torch.manual_seed(0)
    sb = SpatialBias(8, grid_size=4).eval()
    x = torch.rand(1, 8, 16, 16, requires_grad=True)
    out = sb(x, (4, 4))  # grid-sized output: no interpolation mixing
    # one output map position, one output channel
    out[0, 0, 3, 3].backward()
    # the input patch that pools to grid cell (0, 0) gets gradient
    assert x.grad[0, :, :4, :4].abs().sum() > 0


def test_default_output_size_and_channels():
    sb = SpatialBias(32, reduced_channels=7, grid_size=6, kernel_size=2)
    assert sb.out_channels == 6
    assert sb(torch.randn(2, 32, 12, 9)).shape == (2, 6, 12, 9)


def test_channels_last():
    torch.manual_seed(0)
    sb = SpatialBias(16).eval()
    x = torch.randn(2, 16, 24, 30)
    ref = sb(x, (12, 15))
    out = sb(x.contiguous(memory_format=torch.channels_last), (12, 15))
    assert out.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(out, ref)


@pytest.mark.parametrize('kwargs,message', [
    (dict(kernel_size=6),
     'kernel_size (6) must not exceed reduced_channels (5): the 1-D conv '
     'runs over the reduced channels without padding'),
    (dict(grid_size=0), 'grid_size must be >= 1, got 0'),
    (dict(reduced_channels=0), 'reduced_channels must be >= 1, got 0'),
    (dict(kernel_size=0), 'kernel_size must be >= 1, got 0'),
    (dict(in_channels=0), 'in_channels must be >= 1, got 0'),
    (dict(kernel_size=1.5), 'kernel_size must be an int, got 1.5'),
    (dict(grid_size=None), 'grid_size must be an int, got None'),
    (dict(reduced_channels=True), 'reduced_channels must be an int, got True'),
    (dict(in_channels='16'), "in_channels must be an int, got '16'"),
    (dict(norm_cfg='BN'), "norm_cfg must be a dict, got 'BN'"),
])
def test_invalid_settings_name_the_argument(kwargs, message):
    """The whole message: the layer, the argument, the rule, the value."""
    args = dict(in_channels=16)
    args.update(kwargs)
    with pytest.raises(ValueError) as info:
        SpatialBias(**args)
    assert str(info.value) == f'SpatialBias: {message}'


def test_smallest_settings_build_and_run():
    """Every bound is inclusive: one input channel, one reduced channel, a
    1x1 grid and a kernel as long as the reduced channels are allowed."""
    sb = SpatialBias(1, reduced_channels=1, grid_size=1, kernel_size=1)
    assert sb(torch.randn(2, 1, 3, 5)).shape == (2, 1, 3, 5)
    sb = SpatialBias(4, reduced_channels=3, kernel_size=3)
    assert sb.out_channels == 1
    assert sb(torch.randn(1, 4, 6, 6)).shape == (1, 1, 6, 6)


def test_modules_are_the_papers():
    """1x1 conv without bias -> BN -> ReLU (in place, as ResNet's) to r
    channels; pooling to g x g; a Conv1d(N, N, k) with bias over the
    N = g*g positions, and no other parameter."""
    sb = SpatialBias(16, reduced_channels=6, grid_size=4, kernel_size=2)
    conv, norm, act = sb.reduce.conv, sb.reduce.norm, sb.reduce.activate
    assert (type(conv), conv.in_channels, conv.out_channels,
            conv.kernel_size, conv.bias) == (nn.Conv2d, 16, 6, (1, 1), None)
    assert type(norm) is nn.BatchNorm2d and norm.num_features == 6
    assert type(act) is nn.ReLU and act.inplace is True
    assert sb.pool.output_size == 4
    mix = sb.mix
    assert (type(mix), mix.in_channels, mix.out_channels, mix.kernel_size,
            mix.padding, tuple(mix.bias.shape)) == (
                nn.Conv1d, 16, 16, (2, ), (0, ), (16, ))
    assert sb.out_channels == 5
    assert sorted(n for n, _ in sb.named_parameters()) == [
        'mix.bias', 'mix.weight', 'reduce.bn.bias', 'reduce.bn.weight',
        'reduce.conv.weight']
    sb = SpatialBias(16, norm_cfg=dict(type='GN', num_groups=5))
    assert type(sb.reduce.norm) is nn.GroupNorm
    assert sb.reduce.norm.num_groups == 5


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
@pytest.mark.parametrize('hw',
                         [(4, 4), (33, 47), (56, 56), (10, 10), (7, 130)])
def test_exportable_pool_equals_adaptive_pool(hw, dtype):
    """Same values and dtype (the pooling matrices follow the input's)."""
    x = torch.randn(2, 5, *hw, dtype=dtype)
    torch.testing.assert_close(adaptive_avg_pool_exportable(x, 10),
                               F.adaptive_avg_pool2d(x, 10))


def test_forward_resizes_to_the_size_asked():
    """``out_size`` is honoured and defaults to the input's size; the maps
    are ``grid_maps`` resized (what the SB pictures draw)."""
    sb = SpatialBias(16).eval()
    x = torch.randn(2, 16, 12, 9)
    for out_size in [(5, 7), (12, 9), None]:
        out = sb(x, out_size)
        assert out.shape == (2, 3, *(out_size or (12, 9)))
        torch.testing.assert_close(out, F.interpolate(
            sb.grid_maps(x), size=out_size or (12, 9), mode='bilinear',
            align_corners=False))


def test_repr_states_the_settings():
    """What ``print(model)`` shows of each SB layer."""
    assert SpatialBias(16, grid_size=7).extra_repr() == (
        'in_channels=16, reduced_channels=5, grid_size=7, kernel_size=3, '
        'out_channels=3')
    assert SpatialBias(8, 6).extra_repr() == (
        'in_channels=8, reduced_channels=6, grid_size=10, kernel_size=3, '
        'out_channels=4')


def test_cat_channels_keeps_the_first_tensors_memory_format():
    """channels_last out when the first tensor is (whatever the maps
    suggest: one map is contiguous in both formats), NCHW otherwise (also
    for a one-channel first tensor, contiguous in both); the values of
    ``torch.cat``."""
    from sb_mm.layers.memory_format import cat_channels
    features = torch.randn(2, 4, 5, 6)
    one_map = torch.randn(2, 1, 5, 6)
    maps = torch.randn(2, 3, 5, 6).contiguous(
        memory_format=torch.channels_last)
    cases = [  # (tensors, channels_last out)
        ([features.contiguous(memory_format=torch.channels_last), one_map],
         True),
        ([features, maps], False),
        ([torch.randn(2, 1, 5, 6), torch.randn(2, 3, 5, 6)], False),
    ]
    for tensors, channels_last in cases:
        out = cat_channels(tensors)
        torch.testing.assert_close(out, torch.cat(tensors, dim=1))
        assert out.is_contiguous() != channels_last
        assert out.is_contiguous(
            memory_format=torch.channels_last) == channels_last


def test_onnx_export_pools_with_the_exportable_pooling(monkeypatch):
    """While exporting to ONNX the grid pooling is the matrix form (the
    same values); ``tests/test_export.py`` exports for real (slow)."""
    from sb_testing import record_calls

    from sb_mm.layers import spatial_bias
    sb = SpatialBias(16, grid_size=4).eval()
    x = torch.randn(2, 16, 11, 13)
    expected = sb(x)
    pooled = record_calls(monkeypatch, spatial_bias,
                          'adaptive_avg_pool_exportable')
    sb(x)
    assert not pooled  # the pooling module outside an export
    monkeypatch.setattr(torch.onnx, 'is_in_onnx_export', lambda: True)
    torch.testing.assert_close(sb(x), expected)
    assert len(pooled) == 1 and pooled[0][1] == 4
