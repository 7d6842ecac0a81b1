"""Spatial bias for the MobileNetV2 / V3 backbones of MMDetection,
MMSegmentation and MMPretrain (inverted-residual blocks)."""
import math

import torch.nn as nn

from .backbone_mixin import Placement, SpatialBiasBackboneMixin


def output_stride(module: nn.Module) -> int:
    """How much ``module`` shrinks its input: the product of its convs'
    strides (the one strided conv of an inverted residual)."""
    return math.prod(m.stride[0] for m in module.modules()
                     if isinstance(m, nn.Conv2d))


def is_inverted_residual(module: nn.Module) -> bool:
    """The libraries' inverted-residual blocks: ``linear_conv`` (MobileNetV3's
    layout, and MMDetection's V2), or a ``conv`` Sequential of ConvModules
    (MMSegmentation's and MMPretrain's V2)."""
    if hasattr(module, 'linear_conv'):
        return True
    conv = getattr(module, 'conv', None)
    return isinstance(conv, nn.Sequential) and len(conv) > 0 and \
        hasattr(conv[-1], 'conv')


class SpatialBiasMobileNetMixin(SpatialBiasBackboneMixin):
    """:class:`SpatialBiasBackboneMixin` for MobileNetV2 and V3: one
    ``sb_stages`` flag per layer of ``self.layers`` that holds inverted
    residuals, in the library's order (MobileNetV2: ``layer1`` - ``layer7``,
    7 flags; MobileNetV3, whose layers are single blocks: one flag a
    block, 11 for ``small``, 15 for ``large``); the stem and the last 1x1
    conv get none. Default: SB in the layers whose output is 1/4 to 1/16 of
    the input, the paper's rule for ResNet-50's stages 1-3 (MobileNetV2 with
    the stock strides: ``layer2`` - ``layer5``).

    Where SB goes in an inverted residual (C_in -> t*C_in = E channels ->
    C_out, m = reduced channels - kernel size + 1 maps)::

        x (B, C_in, H, W) -> [expand 1x1 + norm + act] -> depthwise kxk,
          stride s + norm + act -> [squeeze-excitation] -> y (B, E, H', W')
          -> linear_conv: 1x1 conv (C_out, E + m) over cat([y, maps], 1)
             with maps = relu(sb_norm(sb(y)))  (B, m, H', W')
          -> norm -> [+ x]

    SB reads what the projection reads, the output of the depthwise
    (spatial) step after its norm, activation and squeeze-excitation, and
    the projection reads the maps beside it, as a ResNet bottleneck's conv3
    reads them beside conv2's output. Nothing between the depthwise conv and
    the projection sees the maps (the squeeze-excitation gates E channels),
    so no stock norm needs splitting. A stock checkpoint loads
    function-preserving: the projection's m new input columns start at
    zero.
    """

    def _sb_layers(self):
        """``(layer name, [(relative name, block), ...])`` of each layer of
        ``self.layers`` that holds inverted residuals."""
        out = []
        for layer_name in self.layers:
            layer = getattr(self, layer_name)
            if is_inverted_residual(layer):
                out.append((layer_name, [(layer_name, layer)]))
            elif isinstance(layer, nn.Sequential) and len(layer) and all(
                    is_inverted_residual(block) for block in layer):
                out.append((layer_name, [(f'{layer_name}.{i}', block)
                                         for i, block in enumerate(layer)]))
        return out

    def _sb_stage_blocks(self):
        return [blocks for _, blocks in self._sb_layers()]

    def _sb_stages_default(self, num_stages: int) -> tuple:
        # the stem runs before self.layers in V2 (conv1), inside it in V3
        stem = getattr(self, 'conv1', None)
        stride = output_stride(stem) if stem is not None else 1
        flags = {}
        for layer_name in self.layers:
            stride *= output_stride(getattr(self, layer_name))
            flags[layer_name] = 4 <= stride <= 16
        return tuple(flags[name] for name, _ in self._sb_layers())

    def _sb_placement(self, block) -> Placement:
        if hasattr(block, 'linear_conv'):
            return None, None, 'linear_conv.conv'
        return None, None, f'conv.{len(block.conv) - 1}.conv'


__all__ = ['SpatialBiasMobileNetMixin', 'is_inverted_residual',
           'output_stride']
