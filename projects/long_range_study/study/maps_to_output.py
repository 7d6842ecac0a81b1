"""Beyond the paper (rejected by the detection study): the spatial-bias maps
also added to a block's output, past the residual branch's last norm."""
import torch
import torch.nn as nn

from sb_mm.layers.mixed_class import mixed_class


class SpatialBiasToOutputMixin:
    """Makes a residual block return ``block(x) + to_output(maps)``.

    ``maps`` (B, m, H', W') are the spatial-bias maps that the block's
    emitting conv computes in this forward (read by a forward hook on its
    ``sb`` while the block runs); ``to_output`` is a 1x1 conv (m -> C, with
    bias), zero at initialisation, so the block starts as it was (and a
    stock checkpoint still loads function-preservingly). In the paper's
    place the maps reach the output only through the consumer conv and the
    branch's last norm, whose scale starts at zero in the libraries'
    default (``zero_init_residual=True``) and stays small in short
    schedules: this path reaches the residual sum directly, as a GC block's
    does.
    """

    sb_to_output: nn.Conv2d
    sb_emitting_conv: str

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        maps = []
        sb = self.get_submodule(self.sb_emitting_conv).sb
        handle = sb.register_forward_hook(
            lambda module, args, out: maps.append(out))
        try:
            out = super().forward(x, *args, **kwargs)
        finally:
            handle.remove()
        return out + self.sb_to_output(maps[-1])


def attach_maps_to_output(block: nn.Module, emitting_conv: str,
                          maps: int, out_channels: int) -> nn.Conv2d:
    """Adds ``sb_to_output`` (1x1 conv, ``maps`` -> ``out_channels``, zero
    weight and bias) to ``block`` and makes the block add it to its output
    (:class:`SpatialBiasToOutputMixin`); ``emitting_conv`` names the conv
    that emits the maps (``'conv2'`` in a bottleneck). Returns the conv."""
    conv = nn.Conv2d(maps, out_channels, 1)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    block.__class__ = mixed_class(
        SpatialBiasToOutputMixin, type(block), 'WithSBToOutput',
        'that also adds its spatial-bias maps to its output.', __name__)
    block.sb_to_output = conv
    block.sb_emitting_conv = emitting_conv
    return conv


__all__ = ['SpatialBiasToOutputMixin', 'attach_maps_to_output']
