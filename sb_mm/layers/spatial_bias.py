"""Spatial bias (Go & Ryu, arXiv 2302.12505): a few global maps without
attention."""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule

#: the paper's settings, the defaults of every SB layer and backbone
REDUCED_CHANNELS = 5
GRID_SIZE = 10
KERNEL_SIZE = 3


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f'SpatialBias: {name} must be an int, got {value!r}')
    if value < minimum:
        raise ValueError(
            f'SpatialBias: {name} must be >= {minimum}, got {value}')
    return value


def _pool_matrix(n, g: int, like: torch.Tensor) -> torch.Tensor:
    """(g, n) matrix of adaptive average pooling along one axis: row i
    averages [floor(i*n/g), ceil((i+1)*n/g)), as ``adaptive_avg_pool2d``."""
    i = torch.arange(g, device=like.device, dtype=like.dtype)
    j = torch.arange(n, device=like.device).to(like.dtype)
    start = torch.floor(i * n / g)
    end = torch.ceil((i + 1) * n / g)
    inside = (j[None] >= start[:, None]) & (j[None] < end[:, None])
    weights = inside.to(like.dtype)
    return weights / weights.sum(1, keepdim=True)


def adaptive_avg_pool_exportable(x: torch.Tensor, g: int) -> torch.Tensor:
    """``adaptive_avg_pool2d(x, g)`` as two small matrix products, which
    ONNX exports with dynamic height and width (the ONNX exporter cannot
    export adaptive pooling when the input size is not known)."""
    ph = _pool_matrix(x.shape[-2], g, x)
    pw = _pool_matrix(x.shape[-1], g, x)
    return torch.einsum('ih,bchw,jw->bcij', ph, x, pw)


class SpatialBias(nn.Module):
    """Computes the spatial-bias maps of a feature map.

    The paper's pipeline, step by step (B batch, C ``in_channels``,
    r ``reduced_channels``, g ``grid_size``, k ``kernel_size``,
    m = r - k + 1 ``out_channels``)::

        x            (B, C, H, W)
        reduce       (B, r, H, W)     1x1 conv (no bias) -> norm -> ReLU
        pool         (B, r, g, g)     adaptive average pool
        to_sequence  (B, g*g, r)      every grid position becomes a channel
        mix          (B, g*g, m)      Conv1d(g*g, g*g, k), no padding: each
                                      output position sees all g*g inputs
        to_maps      (B, m, g, g)
        resize       (B, m, H_out, W_out)  bilinear, align_corners=False

    Works for any batch size, non-square and odd sizes, inputs smaller than
    the grid, and channels_last inputs (the output follows the input's memory
    format).

    Args:
        in_channels (int): C, channels of the input.
        reduced_channels (int): r, channels after the 1x1 reduction.
            Default: 5 (the paper's).
        grid_size (int): g, side of the pooled grid. Default: 10.
        kernel_size (int): k, kernel of the 1-D conv over the r reduced
            channels. Default: 3.
        norm_cfg (dict): norm after the reduction.
            Default: ``dict(type='BN')``.
    """

    def __init__(self,
                 in_channels: int,
                 reduced_channels: int = REDUCED_CHANNELS,
                 grid_size: int = GRID_SIZE,
                 kernel_size: int = KERNEL_SIZE,
                 norm_cfg: Optional[dict] = None):
        super().__init__()
        _check_int('in_channels', in_channels, 1)
        _check_int('reduced_channels', reduced_channels, 1)
        _check_int('grid_size', grid_size, 1)
        _check_int('kernel_size', kernel_size, 1)
        if kernel_size > reduced_channels:
            raise ValueError(
                f'SpatialBias: kernel_size ({kernel_size}) must not exceed '
                f'reduced_channels ({reduced_channels}): the 1-D conv runs '
                'over the reduced channels without padding')
        if norm_cfg is not None and not isinstance(norm_cfg, dict):
            raise ValueError(
                f'SpatialBias: norm_cfg must be a dict, got {norm_cfg!r}')
        self.in_channels = in_channels
        self.reduced_channels = reduced_channels
        self.grid_size = grid_size
        self.kernel_size = kernel_size
        self.out_channels = reduced_channels - kernel_size + 1
        positions = grid_size * grid_size
        self.reduce = ConvModule(
            in_channels,
            reduced_channels,
            kernel_size=1,
            bias=False,
            norm_cfg=norm_cfg if norm_cfg is not None else dict(type='BN'),
            act_cfg=dict(type='ReLU', inplace=True))
        self.pool = nn.AdaptiveAvgPool2d(grid_size)
        self.mix = nn.Conv1d(positions, positions, kernel_size, bias=True)

    def forward(self, x: torch.Tensor,
                out_size: Union[Sequence[int], torch.Size, None] = None
                ) -> torch.Tensor:
        """(B, C, H, W) -> (B, m, *out_size); ``out_size`` defaults to
        (H, W)."""
        return self._resize(self.grid_maps(x), x, out_size)

    def grid_maps(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, m, g, g): the maps at the grid resolution,
        before the resize (what ``sb_mm.visualization`` draws)."""
        grid = self._pool(self.reduce(x))  # (B, r, g, g)
        batch = grid.shape[0]
        seq = grid.reshape(batch, self.reduced_channels, -1).transpose(1, 2)
        return self.mix_positions(seq).transpose(1, 2).reshape(
            batch, self.out_channels, self.grid_size, self.grid_size)

    def mix_positions(self, seq: torch.Tensor) -> torch.Tensor:
        """(B, g*g, r) -> (B, g*g, m): the non-local step, ``self.mix``
        (a subclass may change how the positions are mixed)."""
        return self.mix(seq)

    def _pool(self, reduced: torch.Tensor) -> torch.Tensor:
        if torch.onnx.is_in_onnx_export():
            return adaptive_avg_pool_exportable(reduced, self.grid_size)
        return self.pool(reduced)

    def _resize(self, maps: torch.Tensor, x: torch.Tensor,
                out_size) -> torch.Tensor:
        if out_size is None:
            out_size = x.shape[-2:]
        if not x.is_contiguous(memory_format=torch.channels_last):
            # the grid maps come out of the mixing step transposed, in the
            # channels_last layout, which F.interpolate would keep
            return F.interpolate(maps.contiguous(), size=tuple(out_size),
                                 mode='bilinear', align_corners=False)
        # F.interpolate keeps channels_last only when its input is
        # unambiguously so; a 1x1 grid is not (found by tests/test_fuzz.py)
        maps = maps.contiguous(memory_format=torch.channels_last)
        return F.interpolate(
            maps, size=tuple(out_size), mode='bilinear',
            align_corners=False).contiguous(memory_format=torch.channels_last)

    def extra_repr(self) -> str:
        return (f'in_channels={self.in_channels}, '
                f'reduced_channels={self.reduced_channels}, '
                f'grid_size={self.grid_size}, '
                f'kernel_size={self.kernel_size}, '
                f'out_channels={self.out_channels}')


__all__ = [
    'GRID_SIZE', 'KERNEL_SIZE', 'REDUCED_CHANNELS', 'SpatialBias',
    'adaptive_avg_pool_exportable'
]
