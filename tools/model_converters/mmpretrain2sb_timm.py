"""Convert an sb_mm SB-ResNet checkpoint to the authors' timm-based layout.

    python tools/model_converters/mmpretrain2sb_timm.py SRC DST

SRC: an mmpretrain ``ImageClassifier`` checkpoint with ``SBResNet`` (e.g. from
``tools/train.py configs/in1k_r50_sb.py``; ``backbone.*``, ``head.fc.*``) or a
backbone-only one. DST: a plain state dict with torchvision ResNet names,
``layerX.Y.SB.{feature_reduction,sb_conv}.*`` and ``fc.*``, which the authors'
model loads with ``load_state_dict``. The deep-stem types (V1c / V1d) have no
counterpart there and stop with the keys that cannot be placed.
"""
import argparse

from sb_mm.converters import (
    load_weights,
    mmpretrain_to_authors,
    save_weights,
    summary,
)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('src', help='sb_mm checkpoint (classifier or backbone)')
    p.add_argument('dst', help="where to write the authors' layout")
    args = p.parse_args(argv)
    out = mmpretrain_to_authors(load_weights(args.src))
    save_weights(out, args.dst)
    print(summary(out))
    print(f'wrote {args.dst}')


if __name__ == '__main__':
    main()
