"""sb_mm's runner hooks, registered in the HOOKS of MMDetection,
MMSegmentation and MMPretrain by ``sb_mm.mmdet`` / ``sb_mm.mmseg`` /
``sb_mm.mmpretrain``.

- ``SBMapVisualizationHook``: spatial-bias maps of a few validation images,
  every N epochs or iterations, into the runner's visualizer backends. Off
  by default; one config line switches it on::

      custom_hooks = [dict(type='SBMapVisualizationHook', interval=1)]

- ``RandomStateHook``: the random generators' states travel in every
  checkpoint, so a resumed run draws what the uninterrupted run would have
  drawn; ``tools/train.py`` adds it to every run.
"""
import random
from typing import Optional

import numpy as np
import torch

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from .visualization import collect_sb_maps, denormalised_image, draw_sb_maps


class SBMapVisualizationHook(Hook):
    """Draws, for the first ``num_images`` images of the first validation
    batch, every SB block's maps (grid resolution and over the image) with
    ``runner.visualizer.add_image`` (local files under
    ``<work_dir>/<timestamp>/vis_data/vis_image/sb_maps_<i>_<step>.png``,
    TensorBoard, W&B, ... as the config's ``vis_backends`` say).

    Args:
        interval (int): draw at every ``interval``-th epoch (epoch-based
            loops) or iteration (iteration-based loops) that validates.
            Default: 1.
        num_images (int): images of the first validation batch. Default: 2.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 1, num_images: int = 2):
        for name, value in (('interval', interval),
                            ('num_images', num_images)):
            if isinstance(value, bool) or not isinstance(value, int) \
                    or value < 1:
                raise ValueError(f'SBMapVisualizationHook: {name} must be '
                                 f'an int >= 1, got {value!r}')
        self.interval = interval
        self.num_images = num_images

    def _step(self, runner) -> Optional[int]:
        """The epoch or iteration to draw at, or None if not due."""
        from mmengine.runner import EpochBasedTrainLoop
        loop = runner._train_loop  # not built (None) when only testing
        if loop is None or isinstance(loop, dict):
            return runner.iter
        step = runner.epoch if isinstance(loop, EpochBasedTrainLoop) \
            else runner.iter
        return step if step % self.interval == 0 else None

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs=None) -> None:
        if batch_idx != 0 or data_batch is None:
            return
        step = self._step(runner)
        if step is None:
            return
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        inputs = model.data_preprocessor(data_batch, False)['inputs']
        inputs = inputs[:self.num_images]
        maps = collect_sb_maps(model, inputs)
        for i in range(inputs.shape[0]):
            picture = draw_sb_maps(
                denormalised_image(model, inputs[i:i + 1]),
                [(name, m[i:i + 1]) for name, m in maps],
                title=f'spatial-bias maps, validation image {i}, step {step}')
            runner.visualizer.add_image(f'sb_maps_{i}', picture, step=step)


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


__all__ = ['SBMapVisualizationHook', 'RandomStateHook']
