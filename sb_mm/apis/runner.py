"""What ``tools/train.py`` and ``tools/test.py`` share: one entry point for
MMDetection, MMSegmentation and MMPretrain, thin over mmengine's Runner."""
import os
import os.path as osp
from copy import deepcopy
from typing import Optional

import torch
from mmengine.config import Config, ConfigDict

from .checks import (check_checkpoint_file, check_checkpoint_matches,
                     check_data, explain_unknown_type, read_config)

LIBRARIES = ('mmdet', 'mmseg', 'mmpretrain')


def add_common_args(parser) -> None:
    """The flags train.py and test.py share, with the stock meanings."""
    from mmengine.config import DictAction
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def config_from_args(args) -> Config:
    """What train.py and test.py do first: LOCAL_RANK, the config with
    ``--cfg-options`` merged, and the work dir."""
    ensure_local_rank_env(args.local_rank)
    cfg = load_config(args.config, args.cfg_options)
    set_work_dir(cfg, args.config, args.work_dir)
    return cfg


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Reads a config, merges ``--cfg-options``, checks its library."""
    cfg = read_config(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    library_of(cfg)
    return cfg


def library_of(cfg: Config) -> str:
    """The library a config belongs to, from its ``default_scope``."""
    scope = cfg.get('default_scope')
    if scope not in LIBRARIES:
        raise ValueError(
            f'config default_scope is {scope!r}; sb_mm tools run configs of '
            f'{", ".join(LIBRARIES)} (inherit a stock config of one of them)')
    return scope


def set_work_dir(cfg: Config, config_path: str,
                 work_dir: Optional[str]) -> None:
    """``--work-dir``, else the config's, else ``work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])


def _innermost_dataset(dataset_cfg):
    while isinstance(dataset_cfg, dict) and 'dataset' in dataset_cfg:
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


def check_data_roots(cfg: Config, loaders=('train_dataloader',
                                           'val_dataloader',
                                           'test_dataloader')) -> None:
    """A missing data root fails here, naming the setting, not deep inside a
    dataset class."""
    for loader in loaders:
        if cfg.get(loader) is None:
            continue
        dataset = _innermost_dataset(cfg[loader].get('dataset'))
        datasets = dataset.get('datasets', [dataset]) \
            if isinstance(dataset, dict) else []
        for ds in datasets:
            root = _innermost_dataset(ds).get('data_root')
            if root and not osp.isdir(root):
                raise FileNotFoundError(
                    f'{loader}.dataset.data_root {root!r} does not exist. '
                    'Point it at your data with --cfg-options, or generate '
                    'the demo data: python tools/make_demo_data.py')


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


def build_model(cfg: Config):
    """The config's model, built as the Runner builds it: the library's
    sb_mm module and the config's ``custom_imports`` imported, the registry
    of the config's library, under its scope. Returns ``(model, library)``."""
    import importlib

    from mmengine.registry import DefaultScope
    lib = library_of(cfg)
    importlib.import_module(f'sb_mm.{lib}')
    for name in cfg.get('custom_imports', {}).get('imports', []):
        importlib.import_module(name)
    models = importlib.import_module(f'{lib}.registry').MODELS
    with DefaultScope.overwrite_default_scope(lib):
        try:
            return models.build(cfg.model), lib
        except KeyError as err:
            raise (explain_unknown_type(err, cfg) or err) from None


def _drop_pretrained(node) -> None:
    """Removes, in place, every ``pretrained=...`` and every Pretrained
    ``init_cfg`` of a model config (nested ones too, e.g. DetectoRS's
    ``rfp_backbone``): the checkpoint given to :func:`load_model` is what
    the weights come from, and nothing is downloaded."""
    if isinstance(node, dict):
        node.pop('pretrained', None)
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node.pop('init_cfg')
        for value in node.values():
            _drop_pretrained(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _drop_pretrained(value)


def load_model(config: str, checkpoint: Optional[str] = None,
               cfg_options: Optional[dict] = None, edit=None):
    """A config's model in eval mode on the CPU, with ``checkpoint``'s
    weights (mmengine's ``load_checkpoint``: weights-only, see
    ``sb_mm.compat``); Pretrained ``init_cfg`` and ``pretrained`` settings
    are dropped, so nothing is downloaded. ``edit(cfg)`` may change the config before the build.
    Returns ``(model, cfg, library)``."""
    from mmengine.runner import load_checkpoint
    cfg = load_config(config, cfg_options)
    _drop_pretrained(cfg.model)
    if edit is not None:
        edit(cfg)
    model, lib = build_model(cfg)
    if hasattr(model, 'init_weights'):
        model.init_weights()
    if checkpoint:
        check_checkpoint(checkpoint)
        load_checkpoint(model, checkpoint, map_location='cpu',
                        logger='silent')
    model.cfg = cfg  # as the stock init_model functions leave it
    return model.eval(), cfg, lib


def image_inputs(model, cfg: Config, lib: str, image: str) -> torch.Tensor:
    """One image file through the config's test pipeline (annotation
    loading left out, as the stock inferencers do) and the model's data
    preprocessor: (1, 3, H, W)."""
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import DefaultScope
    if not osp.isfile(image):
        raise FileNotFoundError(f'image not found: {image}')
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    dataset = _innermost_dataset(loader['dataset'])
    steps = [step for step in dataset['pipeline']
             if 'Annotations' not in step['type']]
    with DefaultScope.overwrite_default_scope(lib):
        data = Compose(steps)(dict(img_path=image, img_id=0))
        batch = model.data_preprocessor(pseudo_collate([data]), False)
    return batch['inputs']


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
    check_checkpoint(path)
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
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume checkpoint not found: {resume}')
        cfg.resume = True
        cfg.load_from = resume
    if resume is not None:
        warn_partial_checkpoints(cfg.work_dir)


def warn_partial_checkpoints(work_dir: str) -> None:
    """Names the temporary files a run killed while saving left behind
    (``.<name>.<random>.tmp``, see ``sb_mm.compat.atomic_write``): never
    used by ``--resume``, safe to delete."""
    import glob
    partial = sorted(glob.glob(osp.join(glob.escape(work_dir), '.*.pth.*.tmp')))
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
        test_pipeline = _innermost_dataset(cfg.test_dataloader.dataset).pipeline
        cfg.tta_pipeline = deepcopy(test_pipeline)
        cfg.tta_pipeline[-1] = dict(
            type='TestTimeAug',
            transforms=[[dict(type='RandomFlip', prob=1.),
                         dict(type='RandomFlip', prob=0.)],
                        [test_pipeline[-1]]])
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    _innermost_dataset(cfg.test_dataloader.dataset).pipeline = cfg.tta_pipeline


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


def ensure_local_rank_env(local_rank: int) -> None:
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(local_rank)


def check_checkpoint(path: str) -> None:
    """Exists, not empty, a whole torch file (``checks``)."""
    check_checkpoint_file(path)
