"""Draw what the spatial bias of a trained model computes on an image.

    python tools/analysis_tools/visualize_sb.py CONFIG CHECKPOINT IMAGE \
        [--out DIR] [--cfg-options k=v ...]

For every SB block (detectors, segmentors and classifiers alike): its m maps
at the grid resolution and each resized over the image, one row per block,
written to ``DIR/<image name>_sb_maps.png`` (default DIR:
``work_dirs/sb_maps``).
The image goes through the config's test pipeline and the model's data
preprocessor, as in the stock inferencers. ``CHECKPOINT`` may be ``none``
(the maps of an untrained model).
"""
import argparse
import os
import os.path as osp


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint', help="checkpoint file, or 'none'")
    p.add_argument('image')
    p.add_argument('--out', default=osp.join('work_dirs', 'sb_maps'),
                   help='folder for the PNG')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings, key=value')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import cv2

    from sb_mm.apis.models import image_inputs, load_model
    from sb_mm.visualization import (
        collect_sb_maps,
        denormalised_image,
        draw_sb_maps,
    )
    checkpoint = None if args.checkpoint.lower() == 'none' else \
        args.checkpoint
    model, cfg, lib = load_model(args.config, checkpoint, args.cfg_options)
    inputs = image_inputs(model, cfg, lib, args.image)
    maps = collect_sb_maps(model, inputs)
    picture = draw_sb_maps(
        denormalised_image(model, inputs), maps,
        title=f'{osp.basename(args.config)}: spatial-bias maps of '
        f'{osp.basename(args.image)} (input {tuple(inputs.shape[-2:])})')
    os.makedirs(args.out, exist_ok=True)
    path = osp.join(args.out,
                    osp.splitext(osp.basename(args.image))[0] + '_sb_maps.png')
    cv2.imwrite(path, picture[..., ::-1])
    for name, grid in maps:
        print(f'{name}: {tuple(grid.shape[1:])} maps, range '
              f'[{grid.min().item():.3g}, {grid.max().item():.3g}]')
    print(f'{len(maps)} SB blocks drawn to {path}')


if __name__ == '__main__':
    main()
