"""Trains in the channels-last memory format, as the paper's authors ran
timm (``--channels-last``)."""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Puts the model's parameters and buffers in channels-last order
    (``model.to(memory_format=torch.channels_last)``) before the run; the
    convolutions then return channels-last outputs, and the data
    preprocessor's (B, 3, H, W) batch is converted by the first conv. The
    function is the same, the speed on a GPU with tensor cores higher.

    ``custom_hooks = [dict(type='ChannelsLastHook')]``.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        model.to(memory_format=torch.channels_last)


__all__ = ['ChannelsLastHook']
