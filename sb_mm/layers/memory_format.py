"""Concatenation along channels that keeps the memory format."""
from typing import Sequence

import torch


def cat_channels(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """``torch.cat(tensors, dim=1)`` for (B, C_i, H, W) tensors, channels_last
    when the first one is.

    ``torch.cat`` keeps channels_last only when every input suggests it; SB
    maps with one channel or a 1x1 size are contiguous in both formats and
    suggest NCHW, so a plain cat would turn a channels_last network NCHW from
    the first SB block on (found by ``tests/test_fuzz.py``).
    """
    out = torch.cat(list(tensors), dim=1)
    first = tensors[0]
    if first.dim() == 4 and not first.is_contiguous() and \
            first.is_contiguous(memory_format=torch.channels_last):
        out = out.contiguous(memory_format=torch.channels_last)
    return out
