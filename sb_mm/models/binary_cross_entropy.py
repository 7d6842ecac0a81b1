"""Binary cross-entropy over soft (mixed) targets, optionally binarised:
the loss of the SB authors' ImageNet run (timm's ``--bce-loss
--bce-target-thresh 0.2``)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


class BinaryCrossEntropyLoss(nn.Module):
    """Sigmoid BCE of every class logit against a (B, K) target, averaged
    over all B x K entries, as timm's ``BinaryCrossEntropy`` (timm 0.6.12,
    ``timm/loss/binary_cross_entropy.py``) computes it.

    ``cls_score`` (B, K) logits; ``label`` (B, K) soft targets (MMPretrain's
    ``gt_score`` after Mixup / CutMix) or (B,) class indices, which become
    one-hot rows with ``smoothing / K`` off and ``1 - smoothing + smoothing /
    K`` on. With ``target_threshold`` set, every target above it becomes 1
    and every other 0 before the BCE: after a Mixup of weight 0.9 / 0.1
    only the first class is positive at 0.2; after a CutMix both pasted
    classes usually are.

    Differs from MMPretrain's ``CrossEntropyLoss(use_sigmoid=True)`` in two
    ways: the thresholding, and the reduction. MMPretrain's classification
    head passes ``avg_factor=B``, so its sigmoid loss is the sum over the K
    classes divided by B (K times timm's mean); this loss ignores
    ``avg_factor`` and takes timm's mean over B x K. Under LAMB the scale is
    not neutral: its global gradient-norm clip (``max_grad_norm=1.0``) acts
    on the raw gradient.

    Args:
        target_threshold (float | None): binarise the targets at this value
            (strictly above is 1). Default: None (soft targets as given).
        smoothing (float): label smoothing of class-index labels only.
            Default: 0.0 (timm's class defaults to 0.1, which the authors'
            run never used: their targets were always mixed).
        loss_weight (float): the loss is multiplied by it. Default: 1.0.
    """

    def __init__(self,
                 target_threshold: Optional[float] = None,
                 smoothing: float = 0.0,
                 loss_weight: float = 1.0):
        super().__init__()
        if target_threshold is not None and not (
                isinstance(target_threshold, (int, float))
                and 0 <= target_threshold < 1):
            raise ValueError('BinaryCrossEntropyLoss: target_threshold must '
                             f'be None or in [0, 1), got {target_threshold!r}')
        if not 0 <= smoothing < 1:
            raise ValueError('BinaryCrossEntropyLoss: smoothing must be in '
                             f'[0, 1), got {smoothing!r}')
        self.target_threshold = target_threshold
        self.smoothing = smoothing
        self.loss_weight = loss_weight

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """(B, K) logits and (B, K) or (B,) targets -> a scalar. ``weight``
        (B,) weighs each sample's row; ``avg_factor`` is ignored (see the
        class)."""
        if cls_score.dim() != 2:
            raise ValueError('BinaryCrossEntropyLoss: expected (B, K) '
                             f'logits, got shape {tuple(cls_score.shape)}')
        if label.shape != cls_score.shape:
            if label.shape != cls_score.shape[:1]:
                raise ValueError(
                    'BinaryCrossEntropyLoss: the targets must be (B, K) '
                    'scores or (B,) class indices; got '
                    f'{tuple(label.shape)} for logits '
                    f'{tuple(cls_score.shape)}')
            classes = cls_score.shape[1]
            off = self.smoothing / classes
            label = torch.full_like(cls_score, off).scatter_(
                1, label.long().view(-1, 1), 1 - self.smoothing + off)
        target = label.to(cls_score.dtype)
        if self.target_threshold is not None:
            target = target.gt(self.target_threshold).to(cls_score.dtype)
        loss = F.binary_cross_entropy_with_logits(
            cls_score, target, reduction='none')
        if weight is not None:
            loss = loss * weight.reshape(-1, 1).to(loss.dtype)
        reduction = reduction_override or 'mean'
        if reduction == 'mean':
            loss = loss.mean()
        elif reduction == 'sum':
            loss = loss.sum()
        elif reduction != 'none':
            raise ValueError(f'BinaryCrossEntropyLoss: unknown reduction '
                             f'{reduction!r}')
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'target_threshold={self.target_threshold}, '
                f'smoothing={self.smoothing}, loss_weight={self.loss_weight}')


__all__ = ['BinaryCrossEntropyLoss']
