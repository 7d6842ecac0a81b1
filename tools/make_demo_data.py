"""Generate the demo datasets (deterministic): COCO instances, ADE20K maps,
an ImageNet-style folder and CIFAR-100 pickles, under data/demo by default.

    python tools/make_demo_data.py [--root data/demo] [--small]
"""
import argparse

from sb_mm.datasets.generators.demo import make_all


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--root', default='data/demo')
    p.add_argument('--small', action='store_true',
                   help='a quarter of the images (tests)')
    args = p.parse_args(argv)
    for name, path in make_all(args.root, small=args.small).items():
        print(f'{name}: {path}')


if __name__ == '__main__':
    main()
