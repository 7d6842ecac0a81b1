"""What ``tools/train.py`` and ``tools/test.py`` change in a config or a
built Runner before it runs: launcher (CPU with gloo), SyncBN, AMP, LR
scaling, resume, random states, TTA, drawn predictions, result dumps."""
import os.path as osp
from copy import deepcopy
from typing import Optional

import torch
from mmengine.config import Config, ConfigDict

from .checks import (
    check_checkpoint_file,
    check_checkpoint_matches,
    explain_unknown_type,
    innermost_dataset,
)
from .cli import library_of


def setup_launcher(cfg: Config, launcher: str) -> None:
    """Sets ``cfg.launcher``; on a machine without CUDA, makes the pytorch
    launcher work on CPU with gloo.

    mmengine 0.10.7's pytorch launcher calls ``torch.cuda.set_device``
    unconditionally ("Found no NVIDIA driver"), and its Runner wraps the model
    in DDP with ``device_ids=[local_rank]``, which CPU modules refuse. We
    create the gloo process group first (the Runner then skips its own) and
    ask for a DDP wrapper without device ids.
    """
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} without CUDA is not supported; use '
            '--launcher pytorch (tools/dist_train.sh) for CPU runs')
    import torch.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    print(f'sb_mm: distributed on CPU with gloo, rank {dist.get_rank()}, '
          f'world size {dist.get_world_size()}', flush=True)
    cfg.setdefault('env_cfg', ConfigDict())
    cfg.env_cfg.setdefault('dist_cfg', ConfigDict())
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    cfg.model_wrapper_cfg = dict(
        type='MMDistributedDataParallel',
        device_ids=None,
        broadcast_buffers=False)


def sync_bn_paths(node, path='') -> list:
    """Dotted paths of every ``type='SyncBN'`` setting in a config node."""
    found = []
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            found.append(path.lstrip('.'))
        for key, value in node.items():
            found += sync_bn_paths(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found += sync_bn_paths(value, f'{path}.{i}')
    return found


def check_sync_bn(cfg: Config, launcher: str) -> None:
    """Training with SyncBN in several processes needs CUDA (torch's
    SyncBatchNorm refuses CPU tensors, deep in the first forward). On a
    CPU-only machine this stops before anything is built and prints the
    ``--cfg-options`` that switch those layers to BN. A single process
    runs as it is: mmengine turns SyncBN into BN when not distributed."""
    if launcher == 'none' or torch.cuda.is_available():
        return
    paths = sync_bn_paths(cfg.get('model'), 'model')
    if paths:
        raise SystemExit(
            'SyncBN needs CUDA devices in distributed training; this machine '
            f'has none ({", ".join(paths)}). Train with BN instead (each '
            'process normalises its own batch): add\n  --cfg-options ' +
            ' '.join(f'{p}.type=BN' for p in paths) +
            '\nor run a single process (tools/train.py), where SyncBN '
            'becomes BN by itself.')


def build_runner(cfg: Config):
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    try:
        if 'runner_type' in cfg:
            return RUNNERS.build(cfg)
        return Runner.from_cfg(cfg)
    except KeyError as err:
        raise (explain_unknown_type(err, cfg) or err) from None


def check_load_from(runner, cfg: Config, strict: bool) -> None:
    """``load_from`` is a whole checkpoint that fits the built model
    (``strict``: every shared tensor; else at least one, so a fine-tune
    from another head still loads with mmengine's warning)."""
    path = cfg.get('load_from')
    if not path or cfg.get('resume'):
        return
    check_checkpoint_file(path)
    model = runner.model.module if hasattr(runner.model, 'module') \
        else runner.model
    check_checkpoint_matches(model, path, strict=strict)


def apply_resume(cfg: Config, resume: Optional[str]) -> None:
    """``--resume`` alone: the latest checkpoint in the work dir;
    ``--resume PATH``: that checkpoint."""
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        check_checkpoint_file(resume)
        cfg.resume = True
        cfg.load_from = resume
    if resume is not None:
        warn_partial_checkpoints(cfg.work_dir)


def warn_partial_checkpoints(work_dir: str) -> None:
    """Names the temporary files a run killed while saving left behind
    (``.<name>.<random>.tmp``, see ``sb_mm.checkpoint_io.atomic_write``): never
    used by ``--resume``, safe to delete."""
    import glob
    partial = sorted(
        glob.glob(osp.join(glob.escape(work_dir), '.*.pth.*.tmp')))
    for path in partial:
        print(f'sb_mm: {path} ({osp.getsize(path) / 2**20:.1f} MiB) is a '
              'partial checkpoint left by a run killed while saving; --resume '
              'does not use it, delete it to free the space', flush=True)


def add_random_state_hook(cfg: Config) -> None:
    """Every training run saves its random generators' states in its
    checkpoints (``sb_mm.hooks.RandomStateHook``), so ``--resume``
    continues the uninterrupted run's random stream."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') in ('RandomStateHook', 'sb_mm.RandomStateHook')
               for h in hooks if isinstance(h, dict)):
        hooks.append(dict(type='RandomStateHook'))
    cfg.custom_hooks = hooks


def apply_amp(cfg: Config) -> None:
    """``--amp``: mmengine's ``AmpOptimWrapper`` with a dynamic loss scale.
    It supports CUDA (and NPU / MLU) devices only: on a CPU-only machine this
    stops here, saying so, instead of an assertion inside mmengine."""
    if not torch.cuda.is_available():
        raise SystemExit(
            '--amp needs a CUDA device: mmengine\'s AmpOptimWrapper does not '
            'support CPU training. Run without --amp on this machine.')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'


def apply_auto_scale_lr(cfg: Config) -> None:
    asl = cfg.get('auto_scale_lr')
    if not asl or 'base_batch_size' not in asl:
        raise ValueError('--auto-scale-lr needs auto_scale_lr.base_batch_size '
                         'in the config')
    cfg.auto_scale_lr.enable = True


def apply_show_dir(cfg: Config, show_dir: str) -> None:
    """Saves drawn predictions under ``show_dir`` (each library's way)."""
    lib = library_of(cfg)
    hooks = cfg.get('default_hooks', {})
    if 'visualization' not in hooks:
        raise ValueError('--show-dir needs default_hooks.visualization')
    vis = hooks['visualization']
    if lib == 'mmdet':
        vis.draw = True
        vis.test_out_dir = osp.abspath(show_dir)
    elif lib == 'mmseg':
        vis.draw = True
        cfg.visualizer.save_dir = show_dir
    else:
        vis.enable = True
        vis.out_dir = show_dir
        vis.interval = 1  # every test image, as mmpretrain's test.py does


def apply_tta(cfg: Config) -> None:
    """Test-time augmentation with the config's ``tta_model`` /
    ``tta_pipeline`` (flip TTA by default, as the stock tools do)."""
    lib = library_of(cfg)
    if 'tta_model' not in cfg:
        defaults = dict(
            mmdet=dict(type='DetTTAModel', tta_cfg=dict(
                nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)),
            mmseg=dict(type='SegTTAModel'),
            mmpretrain=dict(type='AverageClsScoreTTA'))
        cfg.tta_model = defaults[lib]
    if 'tta_pipeline' not in cfg:
        test_pipeline = innermost_dataset(
            cfg.test_dataloader.dataset).pipeline
        cfg.tta_pipeline = deepcopy(test_pipeline)
        cfg.tta_pipeline[-1] = dict(
            type='TestTimeAug',
            transforms=[[dict(type='RandomFlip', prob=1.),
                         dict(type='RandomFlip', prob=0.)],
                        [test_pipeline[-1]]])
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    innermost_dataset(cfg.test_dataloader.dataset).pipeline = cfg.tta_pipeline


def add_result_dump(runner, cfg: Config, out: str) -> None:
    """``--out``: predictions to a pickle (mmdet, mmpretrain) or prediction
    maps to a folder (mmseg)."""
    lib = library_of(cfg)
    if lib == 'mmseg':
        return  # set before the runner is built, see prepare_out
    if not out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out must be a .pkl file for {lib}: {out}')
    if lib == 'mmdet':
        from mmdet.evaluation import DumpDetResults as Dump
    else:
        from mmengine.evaluator import DumpResults as Dump
    runner.test_evaluator.metrics.append(Dump(out_file_path=out))


def prepare_out(cfg: Config, out: str) -> None:
    if library_of(cfg) == 'mmseg':
        cfg.test_evaluator['output_dir'] = out
        cfg.test_evaluator['keep_results'] = True


__all__ = [
    'setup_launcher', 'sync_bn_paths', 'check_sync_bn', 'build_runner',
    'check_load_from', 'apply_resume', 'warn_partial_checkpoints',
    'add_random_state_hook', 'apply_amp', 'apply_auto_scale_lr',
    'apply_show_dir', 'apply_tta', 'add_result_dump', 'prepare_out'
]
