"""timm's ``CosineLRScheduler`` as ``create_scheduler`` built it for the SB
authors' run (timm 0.6.12, ``timm/scheduler/cosine_lr.py`` and
``scheduler_factory.py``): warm-up, cosine and cool-down in one closed
form."""
import math

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
from mmengine.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class TimmCosineParamScheduler(_ParamScheduler):
    """Value at step t (an epoch by default, as timm's ``t_in_epochs``)::

        t < warmup_t:   warmup_value + t * (base - warmup_value) / warmup_t
        t < t_initial:  min_value + (base - min_value)
                                    * (1 + cos(pi * t / t_initial)) / 2
        otherwise:      min_value   (timm's --cooldown-epochs)

    The cosine runs over absolute t, from 0 (timm's ``warmup_prefix=False``):
    the warm-up replaces its first ``warmup_t`` values, so the first cosine
    value is that of t = ``warmup_t``, not the peak. ``base`` is the
    optimizer's initial value (after ``auto_scale_lr``); ``warmup_value``
    and ``min_value`` are absolute, as timm's ``--warmup-lr`` / ``--min-lr``.

    MMEngine's ``LinearLR`` + ``CosineAnnealingLR`` cannot give this per
    epoch: ``LinearLR`` reaches the peak at its last step (epoch 2 of a
    3-epoch warm-up, where timm is at 2/3 of it), and the chained cosine
    then starts from the peak over the remaining epochs.

    Args:
        t_initial (int): length of the cosine (timm's ``--epochs``).
        min_value (float): value at and after ``t_initial``.
        warmup_t (int): warm-up steps (timm's ``--warmup-epochs``).
        warmup_value (float): value at step 0 (timm's ``--warmup-lr``).
        begin, end, last_step, by_epoch, verbose: as MMEngine's schedulers.
    """

    def __init__(self, optimizer, param_name: str, t_initial: int,
                 min_value: float = 0.0, warmup_t: int = 0,
                 warmup_value: float = 0.0, begin: int = 0, end: int = INF,
                 last_step: int = -1, by_epoch: bool = True,
                 verbose: bool = False):
        if not isinstance(t_initial, int) or t_initial < 1:
            raise ValueError(f'{type(self).__name__}: t_initial must be a '
                             f'positive int, got {t_initial!r}')
        if not isinstance(warmup_t, int) or not 0 <= warmup_t < t_initial:
            raise ValueError(f'{type(self).__name__}: warmup_t must be an int '
                             f'in [0, t_initial), got {warmup_t!r}')
        self.t_initial = t_initial
        self.min_value = min_value
        self.warmup_t = warmup_t
        self.warmup_value = warmup_value
        super().__init__(optimizer, param_name, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch,
                         verbose=verbose)

    def value_at(self, t: int, base: float) -> float:
        """The value at step ``t`` for a peak of ``base``."""
        if t < self.warmup_t:
            return self.warmup_value + t * (base - self.warmup_value) / \
                self.warmup_t
        if t < self.t_initial:
            return self.min_value + 0.5 * (base - self.min_value) * (
                1 + math.cos(math.pi * t / self.t_initial))
        return self.min_value

    def _get_value(self):
        return [self.value_at(self.last_step, base)
                for base in self.base_values]


@PARAM_SCHEDULERS.register_module()
class TimmCosineLR(LRSchedulerMixin, TimmCosineParamScheduler):
    """:class:`TimmCosineParamScheduler` of the learning rate (registered in
    mmengine's root ``PARAM_SCHEDULERS``: every library's configs find it
    once ``sb_mm`` is imported)."""


__all__ = ['TimmCosineLR', 'TimmCosineParamScheduler']
