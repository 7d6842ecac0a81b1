"""Train with any MMDetection / MMSegmentation / MMPretrain config (the
config's ``default_scope`` says which), e.g.

    python tools/train.py configs/coco_maskrcnn_r50_sb.py
"""
import argparse

from sb_mm.apis import checks, cli, run_setup


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Train a model (sb_mm)')
    p.add_argument('config', help='train config file path')
    p.add_argument('--work-dir', help='where logs and checkpoints go '
                   '(default: work_dirs/<config name>)')
    p.add_argument('--amp', action='store_true',
                   help='automatic mixed precision')
    p.add_argument('--auto-scale-lr', action='store_true',
                   help='scale the LR by the actual batch size')
    p.add_argument('--resume', nargs='?', type=str, const='auto',
                   help='resume from PATH, or without PATH from the latest '
                   'checkpoint in the work dir')
    cli.add_common_args(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = cli.config_from_args(args)
    checks.check_data_roots(cfg)
    checks.check_data(cfg, loaders=('train_dataloader', 'val_dataloader'))
    if args.amp:
        run_setup.apply_amp(cfg)
    if args.auto_scale_lr:
        run_setup.apply_auto_scale_lr(cfg)
    run_setup.apply_resume(cfg, args.resume)
    run_setup.add_random_state_hook(cfg)
    run_setup.check_sync_bn(cfg, args.launcher)
    run_setup.setup_launcher(cfg, args.launcher)
    runner = run_setup.build_runner(cfg)
    run_setup.check_load_from(runner, cfg, strict=False)
    runner.train()


if __name__ == '__main__':
    main()
