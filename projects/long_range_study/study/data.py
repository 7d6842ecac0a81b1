"""Long-range tasks: generated datasets in the real on-disk formats where a
cue far from the thing being labelled decides its label.

Every picture has a textured background (:func:`textured_background`), a
*cue* (a red or a blue patch / bar) and *targets* (grey shapes). The cue
sits at one end of the picture, the targets at the other, farther apart than
the receptive field of the study's trunks
(``docs/en/results/long_range_study.md`` gives the arithmetic).
``cue='near'`` puts the cue next to the targets instead: the same task
with the dependency inside every model's reach, the control that shows the
task is learnable by a local model.

* :func:`make_xor_imagenet` (ImageNet folder, mmpretrain): a red or blue
  square in the left strip and another in the right strip; the label is
  ``same`` or ``different`` colour (the XOR of the two colours), so neither
  square alone says anything about it.
* :func:`make_cue_ade20k` (ADE20K layout, mmseg): grey shapes in the lower
  part, a red or blue bar along the top edge; every shape pixel is class
  ``red_cued`` or ``blue_cued`` after the bar, background is "other" (0,
  ignored with ``reduce_zero_label``).
* :func:`make_cue_coco` (COCO instances, mmdet): the same scenes; each
  shape is an instance of category ``red_cued`` or ``blue_cued``.

All are deterministic by seed and balanced by construction (the cue and
the target kinds alternate, shuffled by the seed).
"""
import os
import os.path as osp
from typing import Callable, Iterable, List, Tuple

import cv2
import numpy as np

from sb_mm.datasets.generators.demo import (
    SHAPES,
    shape_mask,
    textured_background,
    write_coco_split,
)

#: BGR colours of the cue: index 0 red, 1 blue.
CUE_COLOURS = ((40, 40, 220), (220, 60, 40))
XOR_CLASSES = ('same', 'different')
CUED_CLASSES = ('red_cued', 'blue_cued')
#: ``far``: the study; ``near``: the control with the cue next to the
#: targets; ``swapped``: the ``far`` pictures (same seed, same draws) with the
#: cue's colour flipped and the labels kept, to test whether a trained model
#: reads the cue (its score collapses) or ignores it (its score stays)
CUES = ('far', 'near', 'swapped')

#: Geometry (pixels) shared by the generators and the documentation.
XOR_SIZE = (64, 160)  # (H, W): squares in x < 32 and x >= 132
CUED_SIZE = (176, 128)  # (H, W): bar rows [0, 8), targets in y >= 112
BAR = 8
TARGET_TOP = 112


def _progress(items: Iterable, desc: str, total: int) -> Iterable:
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a test requirement
        return items
    return tqdm(items, desc=desc, total=total, unit='img', leave=False)


def _check_cue(cue: str) -> str:
    if cue not in CUES:
        raise ValueError(f'cue must be one of {CUES}, got {cue!r}')
    return cue


def _balanced(rng: np.random.Generator, count: int, values: int) -> np.ndarray:
    """``count`` labels in ``range(values)``, as equal shares as possible, in
    a random order."""
    labels = np.arange(count) % values
    rng.shuffle(labels)
    return labels


def _grey(rng) -> Tuple[int, int, int]:
    v = int(rng.integers(170, 235))
    return (v, v, v)


def _jitter(rng, colour) -> Tuple[int, int, int]:
    return tuple(int(np.clip(c + rng.integers(-20, 21), 0, 255))
                 for c in colour)


def xor_image(rng: np.random.Generator, left: int, right: int,
              cue: str = 'far') -> np.ndarray:
    """One picture of the XOR task: a red (0) or blue (1) 16 px square in the
    left strip (x < 32) and another in the right strip (x >= 132, so at least
    102 px apart; ``near``: beside the first, 2-5 px apart on the same
    rows, so one 3x3 conv at stride 8 sees both). (H, W, 3) uint8
    BGR, ``XOR_SIZE``."""
    h, w = XOR_SIZE
    img = textured_background(rng, h, w)
    side = 16
    lx = int(rng.integers(4, 32 - side))
    if _check_cue(cue) == 'swapped':
        right = 1 - right
    if cue in ('far', 'swapped'):
        rx = int(rng.integers(w - 28, w - side - 3))
        ys = [int(rng.integers(4, h - 4 - side)) for _ in range(2)]
    else:  # side by side, 2-5 px apart, on the same rows
        rx = lx + side + int(rng.integers(2, 6))
        ys = [int(rng.integers(4, h - 4 - side))] * 2
    for x, y, colour in ((lx, ys[0], left), (rx, ys[1], right)):
        img[y:y + side, x:x + side] = _jitter(rng, CUE_COLOURS[colour])
    return img


def make_xor_imagenet(root: str, num_train: int = 600, num_val: int = 200,
                      cue: str = 'far', seed: int = 10) -> str:
    """ImageNet layout (``train/<class>/*.png``, ``val/*.png``,
    ``meta/{train,val,classes}.txt``) of the XOR task. Returns ``root``."""
    _check_cue(cue)
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'meta'), exist_ok=True)
    with open(osp.join(root, 'meta', 'classes.txt'), 'w') as f:
        f.write('\n'.join(XOR_CLASSES) + '\n')
    for split, count in (('train', num_train), ('val', num_val)):
        lines = []
        combos = _balanced(rng, count, 4)  # (left, right) colour pairs
        for i, combo in enumerate(_progress(combos, f'xor {split}', count)):
            left, right = int(combo) // 2, int(combo) % 2
            label = left ^ right
            img = xor_image(rng, left, right, cue)
            name = XOR_CLASSES[label]
            rel = (f'{name}/{name}_{i:05d}.png' if split == 'train' else
                   f'val_{i:08d}.png')
            path = osp.join(root, split, rel)
            os.makedirs(osp.dirname(path), exist_ok=True)
            cv2.imwrite(path, img)  # PNG: no JPEG ringing across the cue
            lines.append(f'{rel} {label}')
        with open(osp.join(root, 'meta', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return root


def cued_scene(rng: np.random.Generator, cue_colour: int, cue: str = 'far',
               max_objects: int = 3
               ) -> Tuple[np.ndarray, List[np.ndarray]]:
    """A picture of the cue tasks and its shapes' visible masks.

    ``far``: the bar is rows [0, BAR), the shapes lie in rows
    [TARGET_TOP, H); ``near``: the bar is the last BAR rows and the shapes lie
    right above it, in rows [TARGET_TOP - BAR, H - BAR).
    """
    h, w = CUED_SIZE
    img = textured_background(rng, h, w)
    _check_cue(cue)
    far = cue in ('far', 'swapped')
    top, bottom = (TARGET_TOP, h) if far else (TARGET_TOP - BAR, h - BAR)
    bar = slice(0, BAR) if far else slice(h - BAR, h)
    shown = 1 - cue_colour if cue == 'swapped' else cue_colour
    img[bar] = _jitter(rng, CUE_COLOURS[shown])
    img[bar] = np.clip(img[bar].astype(np.int16) +
                       rng.normal(0, 6, img[bar].shape), 0, 255)
    masks: List[np.ndarray] = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        r = rng.uniform(10, 16)
        cx = rng.uniform(r, w - r)
        cy = rng.uniform(top + r, bottom - r)
        mask = shape_mask(SHAPES[int(rng.integers(len(SHAPES)))], h, w, cx,
                           cy, r, rng.uniform(0, 2 * np.pi))
        mask[:top] = 0
        mask[bottom:] = 0
        if mask.sum() < 30:
            continue
        img[mask.astype(bool)] = _grey(rng)
        for other in masks:  # the new shape hides what lies beneath
            other[mask.astype(bool)] = 0
        masks.append(mask)
    return img, [m for m in masks if m.sum() >= 30]


def _scenes(rng, count: int, cue: str, desc: str
            ) -> Iterable[Tuple[int, int, np.ndarray, List[np.ndarray]]]:
    colours = _balanced(rng, count, 2)
    for i, colour in enumerate(_progress(colours, desc, count)):
        img, masks = cued_scene(rng, int(colour), cue)
        yield i, int(colour), img, masks


def make_cue_ade20k(root: str, num_train: int = 200, num_val: int = 40,
                    cue: str = 'far', seed: int = 11) -> str:
    """ADE20K layout under ``root/ADEChallengeData2016`` of the cue task:
    label 0 "other" (ignored with ``reduce_zero_label``), 1 ``red_cued``,
    2 ``blue_cued``. Returns that folder."""
    _check_cue(cue)
    rng = np.random.default_rng(seed)
    base = osp.join(root, 'ADEChallengeData2016')
    for split, count in (('training', num_train), ('validation', num_val)):
        os.makedirs(osp.join(base, 'images', split), exist_ok=True)
        os.makedirs(osp.join(base, 'annotations', split), exist_ok=True)
        for i, colour, img, masks in _scenes(rng, count, cue,
                                             f'cue-ade20k {split}'):
            label = np.zeros(img.shape[:2], np.uint8)
            for mask in masks:
                label[mask.astype(bool)] = colour + 1
            name = f'ADE_{split[:5]}_{i:08d}'
            cv2.imwrite(osp.join(base, 'images', split, name + '.jpg'), img,
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
            cv2.imwrite(osp.join(base, 'annotations', split, name + '.png'),
                        label)
    return base


def make_cue_coco(root: str, num_train: int = 200, num_val: int = 40,
                  cue: str = 'far', seed: int = 12) -> str:
    """COCO layout (``annotations/instances_{train,val}2017.json``,
    ``{train,val}2017/*.jpg``) of the cue task: every shape is an instance of
    ``red_cued`` (id 1) or ``blue_cued`` (id 2). Returns ``root``."""
    _check_cue(cue)
    rng = np.random.default_rng(seed)
    for split, count in (('train2017', num_train), ('val2017', num_val)):
        pictures = ((img, [(colour, m) for m in masks])
                    for _, colour, img, masks in _scenes(
                        rng, count, cue, f'cue-coco {split}'))
        write_coco_split(root, split, pictures, CUED_CLASSES)
    return root


#: task name (as the study and configs/study/ name it) -> (generator, folder
#: under the data root, pictures for training and validation)
TASKS: dict = dict(
    xor_in1k=(make_xor_imagenet, 'xor_imagenet', (600, 200)),
    cue_ade=(make_cue_ade20k, 'cue_ade', (200, 40)),
    cue_coco=(make_cue_coco, 'cue_coco', (200, 40)),
)
#: the names tools/make_long_range_data.py --tasks also takes (sb_mm 0.1's)
TASK_ALIASES = dict(xor='xor_in1k', cue_seg='cue_ade', cue_det='cue_coco')


def make_long_range(root: str = 'data/long_range', small: bool = False,
                    tasks: Iterable[str] = tuple(TASKS),
                    cues: Iterable[str] = CUES) -> dict:
    """Every task in every cue variant under ``root/<cue>/<folder>``;
    ``small``: a tenth of the pictures (tests). Returns name -> folder."""
    out = {}
    k = 10 if small else 1
    for cue in cues:
        for task in tasks:
            task = TASK_ALIASES.get(task, task)
            make: Callable
            make, folder, (n_train, n_val) = TASKS[task]
            out[f'{task}/{cue}'] = make(
                osp.join(root, cue, folder), max(n_train // k, 8),
                max(n_val // k, 4), cue=cue)
    return out


__all__ = [
    'make_xor_imagenet', 'make_cue_ade20k', 'make_cue_coco',
    'make_long_range', 'xor_image', 'cued_scene', 'TASKS', 'TASK_ALIASES',
    'CUES',
    'XOR_CLASSES', 'CUED_CLASSES'
]
