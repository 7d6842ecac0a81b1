"""Command-line flags and config loading shared by ``tools/train.py``,
``tools/test.py`` and the analysis tools: one entry point for MMDetection,
MMSegmentation and MMPretrain (the config's ``default_scope`` says which)."""
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config

from .checks import read_config

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


def ensure_local_rank_env(local_rank: int) -> None:
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(local_rank)


__all__ = [
    'LIBRARIES', 'add_common_args', 'config_from_args', 'load_config',
    'library_of', 'set_work_dir', 'ensure_local_rank_env'
]
