"""Evaluate a checkpoint with the config's stock metrics (COCO AP, mIoU,
top-1, ...), e.g.

    python tools/test.py configs/coco_maskrcnn_r50_sb.py work_dirs/.../epoch_12.pth
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from sb_mm.apis import runner as R  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Test a checkpoint (sb_mm)')
    p.add_argument('config', help='test config file path')
    p.add_argument('checkpoint', help='checkpoint file')
    p.add_argument('--work-dir', help='where the evaluation logs go')
    p.add_argument('--out', help='dump predictions: a .pkl file (mmdet, '
                   'mmpretrain) or a folder of prediction maps (mmseg)')
    p.add_argument('--show-dir', help='save drawn predictions here')
    p.add_argument('--tta', action='store_true',
                   help='test-time augmentation (flip by default)')
    R.add_common_args(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = R.config_from_args(args)
    R.check_data_roots(cfg, loaders=('test_dataloader', ))
    R.check_data(cfg, loaders=('test_dataloader', ))
    R.check_checkpoint(args.checkpoint)
    cfg.load_from = args.checkpoint
    if args.show_dir:
        R.apply_show_dir(cfg, args.show_dir)
    if args.tta:
        R.apply_tta(cfg)
    if args.out:
        R.prepare_out(cfg, args.out)
    R.setup_launcher(cfg, args.launcher)
    runner = R.build_runner(cfg)
    R.check_load_from(runner, cfg, strict=True)
    if args.out:
        R.add_result_dump(runner, cfg, args.out)
    return runner.test()


if __name__ == '__main__':
    main()
