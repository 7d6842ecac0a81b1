"""``add_spatial_bias``, the one call that puts SB into a block: its
defaults, the paths it takes (dotted names, conv=None, weight-standardised
consumers) and the mistakes it names."""
import pytest
import torch
import torch.nn as nn
from sb_testing import ConvWrapper
from torchvision.models.resnet import Bottleneck

from sb_mm.layers import add_spatial_bias
from sb_mm.layers.compose import conv_in_channels


def _sb_settings(sb):
    return dict(in_channels=sb.in_channels,
                reduced_channels=sb.reduced_channels,
                grid_size=sb.grid_size, kernel_size=sb.kernel_size)


@pytest.mark.parametrize('conv', ['conv2', None])
def test_defaults_are_the_papers(conv):
    """Left out, the settings are the paper's (5 reduced channels, a 10x10
    grid, a 1-D kernel of 3: 3 maps); with conv=None as with an emitting
    conv."""
    block = Bottleneck(256, 64)
    sb = add_spatial_bias(block, conv=conv, consumer='conv3',
                          norm='bn2' if conv else None)
    assert _sb_settings(sb) == dict(
        in_channels=64, reduced_channels=5, grid_size=10, kernel_size=3)
    assert sb.out_channels == 3 and block.conv3.in_channels == 67


@pytest.mark.parametrize('conv', ['conv2', None])
def test_settings_reach_the_layer(conv):
    block = Bottleneck(256, 64)
    sb = add_spatial_bias(block, conv=conv, consumer='conv3',
                          norm='bn2' if conv else None, reduced_channels=6,
                          grid_size=4, kernel_size=2)
    assert _sb_settings(sb) == dict(
        in_channels=64, reduced_channels=6, grid_size=4, kernel_size=2)
    assert block.conv3.in_channels == 64 + 5
    assert block(torch.randn(1, 256, 9, 7)).shape == (1, 256, 9, 7)


class _NestedBlock(nn.Module):
    """Its convs inside a Sequential: the names are dotted paths."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(8, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6),
            nn.ReLU(), nn.Conv2d(6, 8, 1, bias=False))

    def forward(self, x):
        return self.body(x)


def test_dotted_names_reach_modules_inside_containers():
    block = _NestedBlock()
    sb = add_spatial_bias(block, conv='body.0', norm='body.1',
                          consumer='body.3')
    assert block.body[0].sb is sb
    assert block.body[3].in_channels == 6 + sb.out_channels
    assert list(dict(block.named_children())) == ['body']  # no 'body.3'
    out = block(torch.randn(2, 8, 12, 12))
    assert out.shape == (2, 8, 12, 12)
    out.sum().backward()
    assert sb.mix.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('ws_type', ['ConvWS', 'ConvAWS'])
def test_weight_standardised_consumer_keeps_its_weight(ws_type):
    """A ConvWS2d / ConvAWS2d consumer keeps its weight (and its
    standardisation) and reads the maps through sb_input; with conv=None
    it is refused."""
    from mmcv.cnn import build_conv_layer
    block = Bottleneck(256, 64)
    block.conv3 = build_conv_layer(dict(type=ws_type), 64, 256, 1,
                                   bias=False)
    stock = block.conv3.weight
    add_spatial_bias(block, conv='conv2', norm='bn2', consumer='conv3')
    assert block.conv3.weight is stock and block.conv3.in_channels == 64
    assert block.conv3.sb_input.in_channels == 3
    refused = Bottleneck(256, 64)
    refused.conv3 = build_conv_layer(dict(type=ws_type), 64, 256, 1,
                                     bias=False)
    with pytest.raises(ValueError, match='norm=None and a consumer'):
        add_spatial_bias(refused, conv=None, consumer='conv3')


CONV_NONE_MESSAGE = (
    'add_spatial_bias: with conv=None the consumer computes and normalises '
    'the maps itself: give norm=None and a consumer that does not '
    'standardise its weight')


def test_conv_none_with_a_norm_is_named():
    with pytest.raises(ValueError) as info:
        add_spatial_bias(Bottleneck(256, 64), conv=None, norm='bn2',
                         consumer='conv3')
    assert str(info.value) == CONV_NONE_MESSAGE


def test_conv_in_channels_of_convs_and_wrappers():
    assert conv_in_channels(nn.Conv2d(5, 4, 3)) == 5
    assert conv_in_channels(ConvWrapper(7)) == 7  # its conv's
    with pytest.raises(TypeError) as info:
        conv_in_channels(nn.ReLU())
    assert str(info.value) == (
        "cannot tell the input channels of <class "
        "'torch.nn.modules.activation.ReLU'>")
    assert conv_in_channels(nn.Linear(6, 2)) == 6


class _ChannelLastMLP(nn.Module):
    """ConvNeXt's order: LayerNorm and a Linear over (B, H, W, C)."""

    def __init__(self, channels=8):
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.fc = nn.Linear(channels, 2 * channels)

    def forward(self, x):  # (B, C, H, W) -> (B, 2C, H, W)
        return self.fc(self.norm(x.permute(0, 2, 3, 1))).permute(0, 3, 1, 2)


@pytest.mark.parametrize('channels_last', [False, True])
def test_a_linear_consumer_reads_the_maps_channel_last(channels_last):
    """conv=None with an nn.Linear consumer over channel-last features:
    the SB of its input (seen as (B, C, H, W)), normalised and ReLU'd, is
    appended along the last dim; the weight is (out, C + m)."""
    torch.manual_seed(0)
    block = _ChannelLastMLP()
    stock_weight = block.fc.weight.detach().clone()
    sb = add_spatial_bias(block, conv=None, consumer='fc')
    fc = block.fc
    assert isinstance(fc, nn.Linear) and fc.in_features == 8 + 3
    assert fc.weight.shape == (16, 11) and fc.sb is sb
    assert fc.weight.requires_grad
    block.eval()
    x = torch.randn(2, 8, 12, 20)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = block.norm(x.permute(0, 2, 3, 1))  # (B, H, W, C)
    maps = torch.relu(fc.sb_norm(sb(y.permute(0, 3, 1, 2))))
    want = torch.nn.functional.linear(
        torch.cat([y, maps.permute(0, 2, 3, 1)], -1), fc.weight, fc.bias)
    torch.testing.assert_close(block(x), want.permute(0, 3, 1, 2))
    # with the maps' columns at zero it is the stock layer
    with torch.no_grad():
        fc.weight[:, :8] = stock_weight
        fc.weight[:, 8:] = 0
    stock = nn.functional.linear(y, stock_weight, fc.bias)
    torch.testing.assert_close(block(x), stock.permute(0, 3, 1, 2))


def test_widen_linear_input():
    from sb_mm.layers import widen_input, widen_linear_input
    linear = nn.Linear(6, 4)
    linear.weight.requires_grad = False
    wide = widen_linear_input(linear, 3)
    assert type(wide) is nn.Linear and wide is not linear
    assert (wide.in_features, wide.out_features) == (9, 4)
    assert wide.weight.shape == (4, 9) and not wide.weight.requires_grad
    assert linear.weight.shape == (4, 6)  # the original is unchanged
    assert widen_input(linear, 2).weight.shape == (4, 8)
    assert widen_input(nn.Conv2d(6, 4, 1), 2).weight.shape == (4, 8, 1, 1)
    with pytest.raises(TypeError, match='expected an nn.Linear'):
        widen_linear_input(nn.Conv2d(6, 4, 1), 3)
