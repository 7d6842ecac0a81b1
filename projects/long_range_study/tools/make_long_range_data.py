"""Generate the long-range study's datasets (deterministic): the XOR task
(ImageNet folder), the cue segmentation task (ADE20K layout) and the cue
detection task (COCO), each with the cue far from the targets and, for the
control, near them; under data/long_range by default.

    python projects/long_range_study/tools/make_long_range_data.py
        [--root data/long_range] [--small]
        [--tasks xor_in1k cue_ade cue_coco] [--cues far near swapped]

(--tasks also takes sb_mm 0.1's names xor, cue_seg, cue_det.)
"""
import argparse
import os.path as osp
import sys

# the repository root on sys.path: ``projects.long_range_study`` imports
# from any working directory, as the library's own tools run
REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from projects.long_range_study.study.data import (  # noqa: E402
    CUES,
    TASK_ALIASES,
    TASKS,
    make_long_range,
)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--root', default='data/long_range')
    p.add_argument('--small', action='store_true',
                   help='a tenth of the pictures (tests)')
    p.add_argument('--tasks', nargs='+',
                   choices=sorted(TASKS) + sorted(TASK_ALIASES),
                   default=list(TASKS))
    p.add_argument('--cues', nargs='+', choices=CUES, default=list(CUES))
    args = p.parse_args(argv)
    made = make_long_range(args.root, small=args.small, tasks=args.tasks,
                           cues=args.cues)
    for name, path in made.items():
        print(f'{name}: {path}')


if __name__ == '__main__':
    main()
