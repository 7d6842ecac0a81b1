"""Draws the spatial-bias maps of a few validation images during training."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from ...visualization import collect_sb_maps, denormalised_image, draw_sb_maps


@HOOKS.register_module()
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


__all__ = ['SBMapVisualizationHook']
