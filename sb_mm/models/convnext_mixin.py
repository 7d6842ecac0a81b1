"""Spatial bias for MMPretrain's ConvNeXt (which MMDetection and
MMSegmentation configs name as ``mmpretrain.ConvNeXt``)."""
from .backbone_mixin import Placement, SpatialBiasBackboneMixin


class SpatialBiasConvNeXtMixin(SpatialBiasBackboneMixin):
    """:class:`SpatialBiasBackboneMixin` for ConvNeXt: every block of
    ``stages[i]`` is stage i's block (default: SB in stages 1-3 of 4, as
    the paper's ResNet-50, where the features are 1/4 to 1/16 of the
    input).

    Where SB goes in a ``ConvNeXtBlock`` (C channels, H x W, m = reduced
    channels - kernel size + 1 maps)::

        x (B, C, H, W) -> depthwise_conv 7x7 -> (B, C, H, W)
          -> permute -> norm (LayerNorm over C)   -> y (B, H, W, C)
          -> pointwise_conv1: Linear(C + m, 4C) over cat([y, maps], -1)
             with maps = relu(sb_norm(sb(y as (B, C, H, W))))  (B, H, W, m)
          -> GELU -> pointwise_conv2: Linear(4C, C) -> gamma -> + x

    SB reads what the pointwise projection reads, the normalised output of
    the depthwise (spatial) conv, and the projection reads the maps beside
    it, as in a ResNet bottleneck conv3 reads them beside conv2's output.
    The maps never pass through the block's LayerNorm, so its statistics
    over C stay the stock ones; they get their own norm (``sb_norm``, BN
    by default, ``sb_cfg.norm_cfg`` otherwise) and ReLU. With
    ``linear_pw_conv=False`` the projection is a 1x1 conv over (B, C, H, W)
    and the same holds channel-first. A stock checkpoint loads
    function-preserving: ``pointwise_conv1``'s m new input columns start at
    zero.
    """

    def _sb_stage_blocks(self):
        return [[(f'stages.{i}.{j}', block) for j, block in enumerate(stage)]
                for i, stage in enumerate(self.stages)]

    def _sb_placement(self, block) -> Placement:
        return None, None, 'pointwise_conv1'


__all__ = ['SpatialBiasConvNeXtMixin']
