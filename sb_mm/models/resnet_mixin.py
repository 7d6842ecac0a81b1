"""Spatial bias for the ResNet-family backbones of MMDetection,
MMSegmentation and MMPretrain (ResNet, V1c / V1d, ResNeXt, SE, RegNet,
ResNeSt, Res2Net, DetectoRS, the CIFAR ResNets) and HRNet, whose blocks are
the ResNets'."""
from .backbone_mixin import Placement, SpatialBiasBackboneMixin


class SpatialBiasResNetMixin(SpatialBiasBackboneMixin):
    """:class:`SpatialBiasBackboneMixin` for the ResNet family: every block
    of each ``res_layers`` layer is a stage's block.

    In a bottleneck, conv2 also emits the m = reduced_channels -
    kernel_size + 1 maps computed from its own input (conv1's output) and
    norm2 / conv3 take planes + m channels; in a basic block the same holds
    for conv1 and norm1 / conv2. In a Res2Net block, whose spatial step is
    several convs over channel groups, conv3 computes the maps from what it
    reads and reads them beside it. Loading a stock checkpoint, the stock
    tensors of the widened conv3 / norm2 (conv2 / norm1) fill their stock
    part and the spatial-bias input columns of conv3 start at zero.
    """

    def _sb_stage_blocks(self):
        return [[(f'{layer_name}.{idx}', block)
                 for idx, block in enumerate(getattr(self, layer_name))]
                for layer_name in self.res_layers]

    def _sb_placement(self, block) -> Placement:
        if hasattr(block, 'convs') and not hasattr(block, 'conv2'):
            # Res2Net: the spatial step is several 3x3 convs over channel
            # groups, concatenated inside forward(); conv3 computes the maps
            # from that concatenation and reads them beside it
            return None, None, 'conv3'
        if hasattr(block, 'conv3'):  # bottleneck
            emit, norm_name_attr, consumer = 'conv2', 'norm2_name', 'conv3'
        else:  # basic block
            emit, norm_name_attr, consumer = 'conv1', 'norm1_name', 'conv2'
        # ResNeSt's split-attention conv normalises inside: no norm2 follows
        norm_name = getattr(block, norm_name_attr, None)
        if norm_name is not None and not hasattr(block, norm_name):
            norm_name = None
        return emit, norm_name, consumer

    def _stem_in_channels(self):
        stem = getattr(self, 'stem', None) if getattr(self, 'deep_stem',
                                                      False) else None
        first = stem[0] if stem is not None else getattr(self, 'conv1', None)
        first = getattr(first, 'conv', first)  # ConvModule (mmpretrain)
        return getattr(first, 'in_channels', None)


class SpatialBiasHRNetMixin(SpatialBiasResNetMixin):
    """:class:`SpatialBiasResNetMixin` for HRNet (all three libraries): its
    blocks are the libraries' ResNet ``BasicBlock`` / ``Bottleneck``, so SB
    goes where it goes in a ResNet block. The four ``sb_stages`` flags are
    HRNet's stages: ``layer1`` (the Bottlenecks at 1/4) and ``stage2`` -
    ``stage4``, in which every block of every branch of every HRModule gets
    SB (default: stages 1-3, as the paper's ResNet-50)."""

    num_stages = 4

    def _sb_stage_blocks(self):
        stages = [[(f'layer1.{i}', block)
                   for i, block in enumerate(self.layer1)]]
        for stage_name in ('stage2', 'stage3', 'stage4'):
            stages.append([
                (f'{stage_name}.{m}.branches.{j}.{k}', block)
                for m, module in enumerate(getattr(self, stage_name))
                for j, branch in enumerate(module.branches)
                for k, block in enumerate(branch)])
        return stages


__all__ = ['SpatialBiasResNetMixin', 'SpatialBiasHRNetMixin']
