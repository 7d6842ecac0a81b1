"""Evaluate a checkpoint with the config's stock metrics (COCO AP, mIoU,
top-1, ...), e.g.

    python tools/test.py configs/coco_maskrcnn_r50_sb.py \
        work_dirs/coco_maskrcnn_r50_sb/epoch_12.pth
"""
import argparse

from sb_mm.apis import checks, cli, run_setup


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
    cli.add_common_args(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = cli.config_from_args(args)
    checks.check_data_roots(cfg, loaders=('test_dataloader', ))
    checks.check_data(cfg, loaders=('test_dataloader', ))
    checks.check_checkpoint_file(args.checkpoint)
    cfg.load_from = args.checkpoint
    if args.show_dir:
        run_setup.apply_show_dir(cfg, args.show_dir)
    if args.tta:
        run_setup.apply_tta(cfg)
    if args.out:
        run_setup.prepare_out(cfg, args.out)
    run_setup.setup_launcher(cfg, args.launcher)
    runner = run_setup.build_runner(cfg)
    run_setup.check_load_from(runner, cfg, strict=True)
    if args.out:
        run_setup.add_result_dump(runner, cfg, args.out)
    return runner.test()


if __name__ == '__main__':
    main()
