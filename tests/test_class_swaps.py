"""The in-place class swaps of ``sb_mm.layers``: each ``attach_*`` turns a
module into ``<its class><suffix>``, one class per (mixin, class), named and
documented for ``print(model)`` and published in the layer's module so that a
model pickles; its forward passes every extra argument of the module's own
forward through; the parts it adds take the module's dtype and geometry; a
block that keeps its conv's maps for one forward lets them go after it."""
import pickle
import sys
import types

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from sb_testing import ConvWrapper, record_calls

from sb_mm.layers import (
    SpatialBias,
    attach_sb_input,
    attach_sb_norm,
    attach_spatial_bias,
    widen_conv_input,
)
from sb_mm.layers.after_block_plugins import attach_after_block
from sb_mm.layers.conv_with_spatial_bias import attach_spatial_bias_from_input


class ScaledConv(nn.Conv2d):
    """A conv whose forward takes more than ``x`` (as some of mmcv's do)."""

    def forward(self, x, scale=1.0, *, shift=0.0):
        return super().forward(x) * scale + shift


class ToyBlock(nn.Module):
    """A residual block whose forward takes more than ``x``; conv2 emits
    the SB maps, conv3 reads them."""

    def __init__(self, channels=8, maps=3):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 1)
        self.conv2 = ScaledConv(channels, channels, 3, padding=1)
        self.conv3 = nn.Conv2d(channels + maps, channels, 1)

    def forward(self, x, scale=1.0, *, shift=0.0):
        out = self.conv2(self.conv1(x), scale, shift=shift)
        return x + self.conv3(out)


def _sb(channels=8):
    return SpatialBias(channels).eval()


def _swapped():
    """(module after its swap, class name, module, docstring) per swap."""
    plugged = ToyBlock()
    attach_after_block(plugged, dict(type='ContextBlock', ratio=1 / 4))
    return [
        (attach_sb_input(ScaledConv(4, 6, 3, padding=1), 3),
         'ScaledConvWithSpatialBiasInput', 'sb_mm.layers.widen',
         'ScaledConv that also takes spatial-bias maps through sb_input.'),
        (attach_spatial_bias(ScaledConv(8, 6, 3, padding=1), _sb()),
         'ScaledConvWithSpatialBias', 'sb_mm.layers.conv_with_spatial_bias',
         'ScaledConv that also emits spatial-bias maps.'),
        (attach_spatial_bias_from_input(
            widen_conv_input(ScaledConv(8, 6, 1), 3), _sb(),
            nn.BatchNorm2d(3)),
         'ScaledConvWithSpatialBiasFromInput',
         'sb_mm.layers.conv_with_spatial_bias',
         'ScaledConv that also reads the spatial-bias maps of its input.'),
        (attach_sb_norm(nn.BatchNorm2d(6), 3), 'BatchNorm2dWithSpatialBias',
         'sb_mm.layers.norm_with_spatial_bias',
         'BatchNorm2d that also normalises spatial-bias maps.'),
        (plugged, 'ToyBlockWithPlugins', 'sb_mm.layers.after_block_plugins',
         'ToyBlock followed by plugin layers.'),
    ]


@pytest.fixture
def fresh_classes(monkeypatch):
    """The swapped classes made afresh in this test (restored after it):
    ``mixed_class`` caches one class per (mixin, class) for the process, so
    without this the classes an earlier test made would be checked, not
    the code that makes them."""
    from sb_mm.layers import mixed_class
    for made in list(mixed_class._CACHE.values()):
        monkeypatch.delattr(sys.modules[made.__module__], made.__name__,
                            raising=False)
    fresh = {}
    monkeypatch.setattr(mixed_class, '_CACHE', fresh)
    yield
    for made in fresh.values():  # what this test published goes again
        home = sys.modules.get(made.__module__)
        if getattr(home, made.__name__, None) is made:
            delattr(home, made.__name__)


@pytest.mark.parametrize('index', range(5))
def test_swapped_classes_are_named_published_and_pickle(index,
                                                        fresh_classes):
    module, name, home, doc = _swapped()[index]
    cls = type(module)
    assert (cls.__name__, cls.__qualname__, cls.__module__, cls.__doc__) == (
        name, name, home, doc)
    assert getattr(sys.modules[home], name) is cls
    assert type(_swapped()[index][0]) is cls  # one class, made once
    copy = pickle.loads(pickle.dumps(module))
    assert type(copy) is cls
    for (k, a), b in zip(module.state_dict().items(),
                         copy.state_dict().values()):
        assert torch.equal(a, b), k


def _class_from(module, name='Conv'):
    return type(name, (nn.Conv2d, ), {'__module__': module})


class _Mixin:
    pass


def test_mixed_class_names_a_clash_by_the_classes_module(fresh_classes,
                                                         monkeypatch):
    """Two classes of one name (as two libraries' ``ResNet``): the first
    is published as ``<name><suffix>``, the second with its module path
    in front; one class per (mixin, class); a class that has the mixin
    already is its own answer."""
    from sb_mm.layers.mixed_class import mixed_class
    home = types.ModuleType('sb_home')
    monkeypatch.setitem(sys.modules, 'sb_home', home)
    first, second = _class_from('lib_a.convs'), _class_from('lib_b.models.c')
    a = mixed_class(_Mixin, first, 'Plus', 'with more.', 'sb_home')
    b = mixed_class(_Mixin, second, 'Plus', 'with more.', 'sb_home')
    assert (a.__name__, b.__name__) == ('ConvPlus', 'lib_b_models_c_ConvPlus')
    assert (home.ConvPlus, home.lib_b_models_c_ConvPlus) == (a, b)
    assert b.__qualname__ == b.__name__ and b.__module__ == 'sb_home'
    assert b.__mro__[1:3] == (_Mixin, second) and b.__doc__ == (
        'Conv with more.')
    assert mixed_class(_Mixin, second, 'Plus', 'x', 'sb_home') is b
    assert mixed_class(_Mixin, a, 'Plus', 'x', 'sb_home') is a


def test_swapped_convs_pass_the_extra_arguments_through():
    """``conv(x, 2.0, shift=0.5)`` reaches the conv's own forward."""
    torch.manual_seed(0)
    x = torch.randn(2, 7, 9, 8)

    widened = attach_sb_input(ScaledConv(4, 6, 3, padding=1), 3)
    expected = (F.conv2d(x[:, :4], widened.weight, widened.bias, padding=1)
                * 2.0 + 0.5 +
                F.conv2d(x[:, 4:], widened.sb_input.weight, padding=1))
    torch.testing.assert_close(widened(x, 2.0, shift=0.5), expected)

    x = torch.randn(2, 8, 9, 8)
    emitting = attach_spatial_bias(ScaledConv(8, 6, 3, padding=1), _sb())
    out = emitting(x, 2.0, shift=0.5)
    stock = F.conv2d(x, emitting.weight, emitting.bias, padding=1) * 2 + .5
    torch.testing.assert_close(out, torch.cat([stock, emitting.sb(x)], 1))

    norm = nn.BatchNorm2d(3).eval()
    with torch.no_grad():
        norm.running_mean.uniform_(-1, 1)
    reading = attach_spatial_bias_from_input(
        widen_conv_input(ScaledConv(8, 6, 1), 3), _sb(), norm)
    maps = torch.relu(norm(reading.sb(x)))
    expected = F.conv2d(torch.cat([x, maps], 1), reading.weight,
                        reading.bias) * 2.0 + 0.5
    torch.testing.assert_close(reading(x, 2.0, shift=0.5), expected)


def test_sb_input_takes_the_convs_dtype_and_geometry():
    """A float64, dilated conv: ``sb_input`` has its dtype, stride, padding
    and dilation, and no bias (the stock conv has it)."""
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2).double()
    attach_sb_input(conv, 3)
    sb_input = conv.sb_input
    assert sb_input.weight.dtype == torch.float64 and sb_input.bias is None
    assert (sb_input.stride, sb_input.padding, sb_input.dilation) == (
        (2, 2), (2, 2), (2, 2))
    x = torch.randn(2, 7, 11, 9, dtype=torch.float64)
    expected = (F.conv2d(x[:, :4], conv.weight, conv.bias, 2, 2, 2) +
                F.conv2d(x[:, 4:], sb_input.weight, None, 2, 2, 2))
    torch.testing.assert_close(conv(x), expected)


def test_sb_from_input_names_a_conv_of_the_wrong_width():
    with pytest.raises(ValueError, match=r'^attach_spatial_bias_from_input: '
                       r'conv has 8 inputs, expected 8 \+ 3 maps'):
        attach_spatial_bias_from_input(nn.Conv2d(8, 6, 1), _sb(),
                                       nn.BatchNorm2d(3))


@pytest.mark.parametrize('conv,expects,message', [
    (nn.Conv2d(6, 6, 3), 8, 'conv has 6 input channels'),
    (ConvWrapper(6), 8, 'conv has 6 input channels'),  # its conv's
    (ConvWrapper(8, coords=True), 10, 'conv has 8 input channels'),  # its own
])
def test_attach_spatial_bias_names_a_conv_of_the_wrong_width(conv, expects,
                                                             message):
    with pytest.raises(ValueError) as info:
        attach_spatial_bias(conv, _sb(expects))
    assert str(info.value) == (f'attach_spatial_bias: {message}, the spatial '
                               f'bias expects {expects}')


def test_attach_spatial_bias_to_a_wrapper_reads_the_wrappers_input():
    wrapped = attach_spatial_bias(ConvWrapper(8, coords=True), _sb(8))
    out = wrapped(torch.randn(2, 8, 10, 12))
    assert out.shape == (2, 6 + 3, 10, 12)


class _FunctionalConv(nn.Module):
    """A conv that keeps no ``in_channels`` (its weight says it)."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(6, 8, 3, 3))

    def forward(self, x):
        return F.conv2d(x, self.weight, padding=1)


def test_attach_spatial_bias_to_a_conv_that_keeps_no_width():
    """Nothing to check the SB layer's width against: attached as given."""
    conv = attach_spatial_bias(_FunctionalConv(), _sb(8))
    assert conv(torch.randn(2, 8, 10, 12)).shape == (2, 6 + 3, 10, 12)


def test_widen_conv_input_names_what_it_cannot_widen():
    with pytest.raises(TypeError) as info:
        widen_conv_input(nn.Linear(4, 4), 3)
    assert str(info.value) == (
        "widen_conv_input: expected an nn.Conv2d, got <class "
        "'torch.nn.modules.linear.Linear'>")
    with pytest.raises(ValueError) as info:
        widen_conv_input(nn.Conv2d(4, 4, 3, groups=2), 3)
    assert str(info.value) == (
        'widen_conv_input: grouped convs cannot take the spatial-bias maps '
        '(groups=2)')


def test_widen_conv_input_keeps_the_weights_dtype():
    wide = widen_conv_input(nn.Conv2d(4, 6, 3).double(), 3)
    assert wide.weight.dtype == torch.float64
    assert wide.weight.shape == (6, 7, 3, 3)


def test_widen_conv_input_copies_all_but_the_weight(monkeypatch):
    """The widened conv: the same class and settings, its own bias, a new
    weight of C_in + m columns (both initialised by the conv's
    ``reset_parameters``); the old weight is not copied on the way (a fifth
    of the config corpus's build time) and the original conv is left as it
    was."""
    conv = ScaledConv(8, 6, 3, padding=1, bias=True)
    conv.weight.requires_grad_(False)
    conv.note = ['an attribute of the instance']
    before = {k: v.clone() for k, v in conv.state_dict().items()}
    copied = record_calls(monkeypatch, nn.Parameter, '__deepcopy__')
    new = widen_conv_input(conv, 3)
    assert [tuple(p.shape) for p, _ in copied] == [(6, )]  # the bias only
    assert type(new) is ScaledConv and new.in_channels == 11
    assert new.weight.shape == (6, 11, 3, 3)
    assert not new.weight.requires_grad
    assert (new.stride, new.padding, new.note) == (conv.stride,
                                                   conv.padding, conv.note)
    assert new.bias.shape == (6, )
    assert new.bias.data_ptr() != conv.bias.data_ptr()
    assert conv.in_channels == 8 and conv.weight.shape == (6, 8, 3, 3)
    assert all(torch.equal(v, before[k])
               for k, v in conv.state_dict().items())


def test_stock_class_sees_through_every_swap():
    """The library's class under sb_mm's swaps, read from each made class's
    own record (not an MRO position): a split norm is its BatchNorm, a conv
    swapped twice its Conv2d, a user's subclass of a swapped class itself,
    an untouched module its own class."""
    from sb_mm.layers.mixed_class import mixed_class, stock_class
    from sb_mm.layers.widen import SpatialBiasInputMixin
    norm = attach_sb_norm(nn.SyncBatchNorm(4), 2)
    assert type(norm) is not nn.SyncBatchNorm
    assert stock_class(norm) is nn.SyncBatchNorm
    conv = nn.Conv2d(4, 4, 3)
    conv.__class__ = mixed_class(SpatialBiasInputMixin, type(conv), 'A',
                                 'a.', __name__)
    conv.__class__ = mixed_class(types.new_class('Other'), type(conv), 'B',
                                 'b.', __name__)
    assert stock_class(conv) is nn.Conv2d

    class Mine(type(norm)):
        pass
    assert stock_class(Mine(4)) is Mine
    assert stock_class(nn.ReLU()) is nn.ReLU


def test_stage_flags_take_numpy_bools():
    import numpy as np

    from sb_mm.models import check_stage_flags
    assert check_stage_flags('sb_stages', list(np.array([1, 0, 1]) > 0),
                             3) == (True, False, True)
    with pytest.raises(ValueError, match=r'sb_stages\[0\]'):
        check_stage_flags('sb_stages', [np.float32(1.0)] * 3, 3)


def test_the_module_names_are_the_ones_the_layers_use():
    """sb_mm/layers/names.py is what the layers name their modules (the
    loaders and converters build checkpoint keys from it)."""
    from sb_mm.layers import SpatialBias, add_spatial_bias
    from sb_mm.layers.names import SB, SB_INPUT, SB_NORM
    from sb_mm.layers.norm_with_spatial_bias import SpatialBiasNormMixin
    block = nn.Sequential()
    block.conv = nn.Conv2d(4, 4, 3, padding=1)
    block.norm = nn.BatchNorm2d(4)
    block.out = nn.Conv2d(4, 8, 1)
    add_spatial_bias(block, conv='conv', norm='norm', consumer='out')
    assert isinstance(getattr(block.conv, SB), SpatialBias)
    assert isinstance(block.norm, SpatialBiasNormMixin)
    assert isinstance(getattr(block.norm, SB_NORM), nn.BatchNorm2d)
    from mmcv.cnn.bricks.conv_ws import ConvWS2d
    ws = nn.Sequential()
    ws.conv = nn.Conv2d(4, 4, 3, padding=1)
    ws.out = ConvWS2d(4, 8, 1)
    add_spatial_bias(ws, conv='conv', consumer='out')
    assert isinstance(getattr(ws.out, SB_INPUT), nn.Conv2d)
