"""Beyond the paper (rejected by the detection study): a mixing weight shared
by every grid position, added to each position's own row."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from sb_mm.layers.mixed_class import mixed_class


class SharedMixSpatialBiasMixin:
    """Makes a :class:`~sb_mm.layers.SpatialBias` mix its N = g*g positions
    with ``mix.weight + mix_shared``: ``mix_shared`` (1, N, k) is one row
    shared by every output position (N*k more parameters, zero at
    initialisation, so the layer starts as the paper's). Every position's
    gradient updates it, where the paper's per-position rows learn only
    from the positions that receive a gradient (the objects' positions in a
    detector).

    ``mix_positions``: (B, N, r) -> (B, N, m), as the paper's layer.
    """

    mix_shared: nn.Parameter

    def mix_positions(self, seq: torch.Tensor) -> torch.Tensor:
        return F.conv1d(seq, self.mix.weight + self.mix_shared,
                        self.mix.bias)

    def extra_repr(self) -> str:
        return super().extra_repr() + ', shared_mix=True'


def attach_shared_mix(sb: nn.Module) -> nn.Module:
    """Turns the SpatialBias ``sb`` in place into one with a shared mixing
    row (:class:`SharedMixSpatialBiasMixin`), zero at first. Returns
    ``sb``."""
    weight = sb.mix.weight
    sb.__class__ = mixed_class(
        SharedMixSpatialBiasMixin, type(sb), 'WithSharedMix',
        'whose grid mixing also has a row shared by every position.',
        __name__)
    sb.mix_shared = nn.Parameter(
        torch.zeros(1, weight.shape[0], weight.shape[2], dtype=weight.dtype,
                    device=weight.device),
        requires_grad=weight.requires_grad)
    return sb


__all__ = ['SharedMixSpatialBiasMixin', 'attach_shared_mix']
