"""Random generators' states in every checkpoint, restored on resume."""
import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Saves the states of Python's, NumPy's and torch's (CPU and CUDA)
    random generators in each checkpoint (``checkpoint['random_state']``)
    and puts them back when a run resumes from it; validation runs with
    the training stream set aside, so a run that validates after a
    checkpoint draws the same numbers as one resumed from that checkpoint.

    mmengine saves the seed, not the states: a resumed run reseeds and
    draws different random numbers (dropout, RPN / mask samplers, the
    data loader's base seed, main-process augmentation) from the
    uninterrupted one. With this hook, and ``randomness.deterministic``,
    resuming gives the uninterrupted run's weights bit for bit where the
    data pipeline's randomness is restored too: iteration-based loops, and
    epoch-based loops whose augmentation runs in the main process
    (``num_workers=0``) or in workers started each epoch
    (``persistent_workers=False``). Persistent workers keep their own
    generators, which no checkpoint sees (README, "Interrupted runs").

    The states are plain ints, lists and a byte tensor: they load with
    ``torch.load(weights_only=True)``.
    """

    priority = 'VERY_HIGH'  # before CheckpointHook writes the checkpoint

    def __init__(self):
        self._set_aside = None

    @staticmethod
    def capture() -> dict:
        version, mt_state, gauss = random.getstate()
        kind, keys, pos, has_gauss, cached = np.random.get_state()
        state = dict(
            python=[version, list(mt_state), gauss],
            numpy=[kind, keys.tolist(), int(pos), int(has_gauss),
                   float(cached)],
            torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        return state

    @staticmethod
    def restore(state: dict) -> None:
        version, mt_state, gauss = state['python']
        random.setstate((version, tuple(mt_state), gauss))
        kind, keys, pos, has_gauss, cached = state['numpy']
        np.random.set_state(
            (kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
        torch.set_rng_state(state['torch'].cpu())
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all([s.cpu() for s in state['cuda']])

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['random_state'] = self._set_aside or self.capture()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # load_from (weights only) keeps the run's own stream; --resume
        # continues the checkpoint's
        if not getattr(runner, '_resume', False):
            return
        if 'random_state' not in checkpoint:
            runner.logger.warning(
                'the checkpoint holds no random_state (saved without '
                'RandomStateHook): the resumed run reseeds and its random '
                'draws differ from the interrupted run\'s')
            return
        self.restore(checkpoint['random_state'])
        from mmengine.runner import EpochBasedTrainLoop
        loader = runner.train_loop.dataloader
        if isinstance(runner.train_loop, EpochBasedTrainLoop) \
                and getattr(loader, 'num_workers', 0) > 0 \
                and getattr(loader, 'persistent_workers', False):
            runner.logger.warning(
                'resuming an epoch-based run whose train_dataloader has '
                'persistent_workers=True: its workers start with fresh random '
                'generators, so augmentation from here on differs from the '
                'uninterrupted run (set persistent_workers=False for '
                'bit-identical resumes)')

    def before_val(self, runner) -> None:
        self._set_aside = self.capture()

    def after_val(self, runner) -> None:
        if self._set_aside is not None:
            self.restore(self._set_aside)
            self._set_aside = None


__all__ = ['RandomStateHook']
