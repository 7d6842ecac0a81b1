"""Extract the backbone of an mmpretrain classifier checkpoint.

    python tools/model_converters/mmpretrain2backbone.py SRC DST

Writes ``backbone.*`` without the prefix (the classifier head is left out and
named), for ``init_cfg=dict(type='Pretrained', checkpoint=DST)`` of an mmdet /
mmseg backbone. Equivalent to pointing ``init_cfg`` at SRC with
``prefix='backbone.'``; use it to ship a smaller file.
"""
import argparse

from sb_mm.converters import (
    load_weights,
    save_weights,
    split_classifier,
    summary,
)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('src', help='mmpretrain classifier checkpoint')
    p.add_argument('dst', help='where to write the backbone checkpoint')
    args = p.parse_args(argv)
    backbone, head = split_classifier(load_weights(args.src))
    save_weights(backbone, args.dst, meta=dict(converted_from=args.src,
                                               source_layout='mmpretrain'))
    print(summary(backbone))
    if head:
        print(f'left out (classifier head): {", ".join(head)}')
    print(f'wrote {args.dst}')


if __name__ == '__main__':
    main()
