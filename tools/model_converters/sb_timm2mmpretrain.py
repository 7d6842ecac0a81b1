"""Convert an SB-ResNet checkpoint of the authors' timm-based code to sb_mm.

    python tools/model_converters/sb_timm2mmpretrain.py SRC DST \
        [--backbone-only]

SRC: the authors' layout (torchvision ResNet names, ``layerX.Y.SB.*``, ``fc``),
a plain state dict or one under ``state_dict`` / ``model``. DST: an mmpretrain
``ImageClassifier`` checkpoint (``backbone.*``, ``head.fc.*``) for
``configs/in1k_r50_sb.py``-style configs with ``backbone.type='SBResNet'``, or
with ``--backbone-only`` the backbone without prefix, which an mmdet / mmseg
``SBResNet`` loads through ``init_cfg=dict(type='Pretrained',
checkpoint=DST)``. Loading is weights-only; every tensor is placed or the
conversion stops naming the keys it could not place.
"""
import argparse

from sb_mm.converters import (
    authors_to_backbone,
    authors_to_mmpretrain,
    load_weights,
    save_weights,
    summary,
)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('src', help="checkpoint in the authors' (timm) layout")
    p.add_argument('dst', help='where to write the sb_mm checkpoint')
    p.add_argument('--backbone-only', action='store_true',
                   help='write the backbone without prefix (for mmdet / '
                   'mmseg init_cfg) instead of the mmpretrain classifier')
    args = p.parse_args(argv)
    state = load_weights(args.src)
    if args.backbone_only:
        out, head = authors_to_backbone(state)
        if head:
            print(f'dropped, as asked by --backbone-only: '
                  f'{", ".join(head)}')
    else:
        out = authors_to_mmpretrain(state)
    save_weights(out, args.dst, meta=dict(converted_from=args.src,
                                          source_layout='sb_timm'))
    print(summary(out))
    print(f'wrote {args.dst}')


if __name__ == '__main__':
    main()
