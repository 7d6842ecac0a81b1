"""How much gradient reaches the spatial bias, logged during training."""
from collections import defaultdict
from typing import Dict, List, Tuple

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from sb_mm.layers.spatial_bias import SpatialBias


def sb_parameter_groups(backbone: torch.nn.Module
                        ) -> Dict[str, List[Tuple[torch.Tensor, slice]]]:
    """The parameters of an SB backbone by role, each as (parameter, input
    column slice or ``slice(None)``):

    - ``mix``: the mixing Conv1d weights of every :class:`SpatialBias`
      (plus ``mix_shared`` under its own key where it exists);
    - ``reduce``: their 1x1 reduction weights;
    - ``consumer_sb``: the consumers' input columns that read the maps;
    - ``consumer_stock``: the same consumers' other input columns.
    """
    groups = defaultdict(list)
    for module in backbone.modules():
        if isinstance(module, SpatialBias):
            groups['mix'].append((module.mix.weight, slice(None)))
            groups['reduce'].append((module.reduce.conv.weight, slice(None)))
            if getattr(module, 'mix_shared', None) is not None:
                groups['mix_shared'].append((module.mix_shared, slice(None)))
    for name, stock in getattr(backbone, '_sb_widened_convs', {}).items():
        conv = backbone.get_submodule(name)
        if hasattr(conv, 'sb_input'):  # weight-standardised consumer
            groups['consumer_sb'].append((conv.sb_input.weight, slice(None)))
            groups['consumer_stock'].append((conv.weight, slice(None)))
        else:
            groups['consumer_sb'].append((conv.weight, slice(stock, None)))
            groups['consumer_stock'].append((conv.weight, slice(None, stock)))
    return dict(groups)


def consumer_gates(backbone: torch.nn.Module) -> List[torch.Tensor]:
    """The scale (gamma) of the norm right after each SB consumer (norm2
    after a basic block's conv2, norm3 after a bottleneck's conv3): the
    gate through which the consumer, and so the SB maps, reach the block's
    output. ``zero_init_residual=True`` (the libraries' default) starts it
    at zero, and then no gradient reaches the spatial bias until it opens."""
    gates = []
    for name in getattr(backbone, '_sb_widened_convs', {}):
        parent, _, conv = name.rpartition('.')
        block = backbone.get_submodule(parent) if parent else backbone
        norm_name = getattr(block, f'norm{conv[len("conv"):]}_name', None) \
            if conv.startswith('conv') else None
        norm = getattr(block, norm_name, None) if norm_name else None
        if getattr(norm, 'weight', None) is not None:
            gates.append(norm.weight)
    return gates


@HOOKS.register_module()
class SBGradientStatsHook(Hook):
    """Logs, every training iteration, the root-mean-square gradient of
    each group of :func:`sb_parameter_groups` (``train/sb_grad_mix``,
    ``..._reduce``, ``..._consumer_sb``, ``..._consumer_stock``, and
    ``..._mix_shared`` where present) and ``train/sb_mix_rows_hit``: the
    share of the mixing Conv1d's output rows (one per grid position) whose
    gradient norm is at least 1% of the largest row's, averaged over the SB
    layers; and ``train/sb_branch_gate``, the mean absolute scale of the
    norms after the consumers (:func:`consumer_gates`), the values read when
    the iteration ends. The gradients are read when backward has filled
    ``.grad`` (a
    post-accumulate-grad hook on each parameter), before clipping and the
    optimizer step; they go to the message hub, so the logger prints them
    and ``scalars.json`` keeps them. Reading gradients changes nothing in
    training.
    """

    priority = 'NORMAL'

    def __init__(self):
        self._groups = {}
        self._sums = defaultdict(float)
        self._counts = defaultdict(int)
        self._rows_hit: List[float] = []
        self._handles = []
        self._gates: List[torch.Tensor] = []

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        backbone = getattr(model, 'backbone', model)
        self._groups = sb_parameter_groups(backbone)
        self._gates = consumer_gates(backbone)
        seen = set()
        for group, entries in self._groups.items():
            for param, columns in entries:
                self._handles.append(param.register_post_accumulate_grad_hook(
                    self._reader(group, columns)))
                if group == 'mix' and id(param) not in seen:
                    seen.add(id(param))
                    self._handles.append(
                        param.register_post_accumulate_grad_hook(
                            self._row_reader))

    def _reader(self, group: str, columns: slice):
        def read(param: torch.Tensor) -> None:
            grad = param.grad.detach()
            if grad.dim() == 4:
                grad = grad[:, columns]
            self._sums[group] += float(grad.float().pow(2).sum())
            self._counts[group] += grad.numel()
        return read

    def _row_reader(self, param: torch.Tensor) -> None:
        rows = param.grad.detach().float().flatten(1).norm(dim=1)
        top = float(rows.max())
        self._rows_hit.append(
            float((rows >= 0.01 * top).float().mean()) if top > 0 else 0.0)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        hub = runner.message_hub
        for group, total in self._sums.items():
            rms = (total / max(1, self._counts[group]))**0.5
            hub.update_scalar(f'train/sb_grad_{group}', rms)
        if self._rows_hit:
            hub.update_scalar('train/sb_mix_rows_hit',
                              sum(self._rows_hit) / len(self._rows_hit))
        if self._gates:
            hub.update_scalar('train/sb_branch_gate', float(
                torch.cat([g.detach().abs().flatten()
                           for g in self._gates]).mean()))
        self._sums.clear()
        self._counts.clear()
        self._rows_hit.clear()

    def after_train(self, runner) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


__all__ = ['SBGradientStatsHook', 'sb_parameter_groups']
