"""Spatial bias (Go & Ryu, arXiv 2302.12505): a few global maps without
attention."""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch.nn.modules.batchnorm import _BatchNorm

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


def fold_batch_norm(weight: torch.Tensor, bias: Optional[torch.Tensor],
                    bn: _BatchNorm):
    """Weight and bias of ``bn(conv(x))`` as one conv, ``bn`` in eval mode.

    ``weight`` (C_out, C_in, ...) and ``bias`` (C_out,) or None. Returns
    ``(weight * s, (bias - mean) * s + beta)`` with ``s = gamma /
    sqrt(var + eps)``; gradients flow to the conv and to gamma / beta.
    """
    scale = torch.rsqrt(bn.running_var + bn.eps)
    if bn.weight is not None:
        scale = scale * bn.weight
    shift = -bn.running_mean if bias is None else bias - bn.running_mean
    shift = shift * scale
    if bn.bias is not None:
        shift = shift + bn.bias
    return weight * scale.reshape(-1, *([1] * (weight.dim() - 1))), shift


def pointwise_conv(x: torch.Tensor, weight: torch.Tensor,
                   bias: Optional[torch.Tensor]) -> torch.Tensor:
    """1x1 conv, (B, C_in, H, W) -> (B, C_out, H, W), ``weight``
    (C_out, C_in, 1, 1).

    For a batch of contiguous (NCHW) inputs and few output channels, one
    batched matrix product over the (B, C_in, H*W) view ran 1.5-2x as fast
    on this project's CPU as the oneDNN conv (which reorders the input
    first); for a single image it was not faster, and channels_last inputs
    are read by ``F.conv2d`` without a reorder, so both keep the conv.
    """
    if x.shape[0] == 1 or not x.is_contiguous():
        return F.conv2d(x, weight, bias)
    batch, _, height, width = x.shape
    # bmm over an expanded (not copied) weight: torch.matmul would fold the
    # batch into a transposed copy of x and keep it for backward (+55 MiB
    # in an SB-ResNet-50 training step at 224, batch 8)
    out = torch.bmm(weight.flatten(1).expand(batch, -1, -1),
                    x.flatten(2))  # (B, C_out, H*W)
    if bias is not None:
        out = out + bias[:, None]
    return out.reshape(batch, -1, height, width)


def conv1d_valid_as_linear(seq: torch.Tensor, weight: torch.Tensor,
                           bias: Optional[torch.Tensor]) -> torch.Tensor:
    """``conv1d(seq.transpose(1, 2), weight, bias).transpose(1, 2)``, no
    padding, as one ``F.linear`` over its k shifted windows.

    ``seq`` (B, L, N_in): L steps of N_in channels, step-major; ``weight``
    (N_out, N_in, k). Returns (B, L - k + 1, N_out). The window of step t
    flattened in (channel, tap) order matches ``weight.flatten(1)``; the
    result comes out step-major, so no transposes are needed around it.
    """
    kernel_size = weight.shape[-1]
    steps = seq.shape[1] - kernel_size + 1
    # k shifted slices rather than ``Tensor.unfold``, which the ONNX
    # exporter cannot export with a dynamic batch size
    windows = torch.stack(
        [seq[:, tap:tap + steps] for tap in range(kernel_size)],
        dim=-1)  # (B, T, N_in, k)
    return F.linear(windows.flatten(2), weight.flatten(1), bias)


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

    ``forward`` runs a fused form of these steps (``fused=True``, the
    default) that computes the same function from the same parameters, so
    state_dicts and results do not depend on it:

    * the 1x1 reduction is a batched matrix product on NCHW batches
      (:func:`pointwise_conv`), and when its BatchNorm uses running
      statistics (eval mode, or a frozen BN) the BN is folded into it
      (:func:`fold_batch_norm`): one pass over the full-size input and no
      normalisation pass;
    * the 1-D conv is one ``F.linear`` over its k shifted windows
      (:func:`conv1d_valid_as_linear`), which yields the maps in (B, m, g*g)
      order with no transposes.

    ``fused=False`` runs the steps module by module (``forward_plain``); the
    tests check that both agree in train and eval mode.

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
        fused (bool): run the fused forward. Default: True.
        shared_mix (bool): beyond the paper. Adds ``mix_shared``, one
            (g*g, k) weight shared by every output position and added to
            each position's own row of the mixing Conv1d (g*g*k more
            parameters, zero at initialisation, so the layer starts as the
            paper's). Every position's gradient updates it, where the
            paper's per-position rows learn only from the positions that
            receive a gradient (the objects' positions in a detector).
            Default: False (the paper's layer, no extra parameter).
    """

    def __init__(self,
                 in_channels: int,
                 reduced_channels: int = REDUCED_CHANNELS,
                 grid_size: int = GRID_SIZE,
                 kernel_size: int = KERNEL_SIZE,
                 norm_cfg: Optional[dict] = None,
                 fused: bool = True,
                 shared_mix: bool = False):
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
        if not isinstance(fused, bool):
            raise ValueError(
                f'SpatialBias: fused must be a bool, got {fused!r}')
        if not isinstance(shared_mix, bool):
            raise ValueError(
                f'SpatialBias: shared_mix must be a bool, got {shared_mix!r}')
        self.fused = fused
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
        self.shared_mix = shared_mix
        if shared_mix:
            self.mix_shared = nn.Parameter(
                torch.zeros(1, positions, kernel_size))

    def forward(self, x: torch.Tensor,
                out_size: Union[Sequence[int], torch.Size, None] = None
                ) -> torch.Tensor:
        """(B, C, H, W) -> (B, m, *out_size); ``out_size`` defaults to
        (H, W)."""
        return self._resize(self.grid_maps(x), x, out_size)

    def forward_plain(self, x: torch.Tensor,
                      out_size: Union[Sequence[int], torch.Size, None] = None
                      ) -> torch.Tensor:
        """The paper's steps module by module (the reference for
        ``forward``)."""
        return self._resize(self._grid_maps_plain(x), x, out_size)

    def grid_maps(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, m, g, g): the maps at the grid resolution,
        before the resize (what ``sb_mm.visualization`` draws)."""
        if not self.fused:
            return self._grid_maps_plain(x)
        reduced = self._reduce_fused(x)
        grid = self._pool(reduced)  # (B, r, g, g)
        batch = grid.shape[0]
        maps = conv1d_valid_as_linear(
            grid.flatten(2), self.mix_weight(), self.mix.bias)  # (B, m, g*g)
        return maps.reshape(batch, self.out_channels, self.grid_size,
                            self.grid_size)

    def _grid_maps_plain(self, x: torch.Tensor) -> torch.Tensor:
        reduced = self.reduce(x)
        grid = self._pool(reduced)  # (B, r, g, g)
        batch = grid.shape[0]
        seq = grid.reshape(batch, self.reduced_channels, -1).transpose(1, 2)
        mixed = F.conv1d(seq, self.mix_weight(), self.mix.bias) \
            if self.shared_mix else self.mix(seq)
        return mixed.transpose(1, 2).reshape(
            batch, self.out_channels, self.grid_size, self.grid_size)

    def mix_weight(self) -> torch.Tensor:
        """(g*g, g*g, k) weight of the mixing Conv1d: ``mix.weight``, plus
        ``mix_shared`` on every output row with ``shared_mix``."""
        if self.shared_mix:
            return self.mix.weight + self.mix_shared
        return self.mix.weight

    def _reduce_fused(self, x: torch.Tensor) -> torch.Tensor:
        """``self.reduce(x)`` (conv -> norm -> act) with the BN folded into
        the conv when it uses its running statistics."""
        conv, norm = self.reduce.conv, None
        if self.reduce.with_norm:
            norm = getattr(self.reduce, self.reduce.norm_name)
        weight, bias = conv.weight, conv.bias
        if (isinstance(norm, _BatchNorm) and norm.running_mean is not None
                and not norm.training):
            weight, bias = fold_batch_norm(weight, bias, norm)
            norm = None
        out = pointwise_conv(x, weight, bias)
        if norm is not None:
            out = norm(out)
        if self.reduce.with_activation:
            out = self.reduce.activate(out)
        return out

    def _pool(self, reduced: torch.Tensor) -> torch.Tensor:
        if torch.onnx.is_in_onnx_export():
            return adaptive_avg_pool_exportable(reduced, self.grid_size)
        return self.pool(reduced)

    def _resize(self, maps: torch.Tensor, x: torch.Tensor,
                out_size) -> torch.Tensor:
        if out_size is None:
            out_size = x.shape[-2:]
        if not x.is_contiguous(memory_format=torch.channels_last):
            return F.interpolate(maps, size=tuple(out_size), mode='bilinear',
                                 align_corners=False)
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
                f'out_channels={self.out_channels}, fused={self.fused}' +
                (', shared_mix=True' if self.shared_mix else ''))


__all__ = [
    'GRID_SIZE', 'KERNEL_SIZE', 'REDUCED_CHANNELS', 'SpatialBias',
    'adaptive_avg_pool_exportable', 'conv1d_valid_as_linear',
    'fold_batch_norm', 'pointwise_conv'
]
