"""Parameter schedulers: :class:`TimmCosineLR` (timm's per-epoch cosine
with warm-up and cool-down, as the SB authors' ImageNet run stepped it)."""
from .timm_cosine import TimmCosineLR, TimmCosineParamScheduler

__all__ = ['TimmCosineLR', 'TimmCosineParamScheduler']
