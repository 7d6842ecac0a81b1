"""Deterministic generated datasets in the real on-disk formats, read by the
stock dataset classes and scored by the stock metrics:

* COCO instances JSON with polygon masks (``CocoDataset`` + ``CocoMetric``),
* the ADE20K layout with reduce-zero-label PNG maps (``ADE20KDataset`` +
  ``IoUMetric``),
* an ImageNet-style folder with meta files (``ImageNet`` + ``Accuracy``),
* CIFAR-100's python pickle format (``CIFAR100``-style + ``Accuracy``).

Pictures: coloured shapes (circle, square, triangle) on textured
backgrounds, some touching or occluding each other. A shape's class fixes its
outline and a hue range, so a small model can learn it in minutes.
"""
import json
import os
import os.path as osp
import pickle
from typing import Iterable, List, Sequence, Tuple

import cv2
import numpy as np

SHAPES = ('circle', 'square', 'triangle')
# hue ranges (OpenCV hue, 0-179) per class: overlap a little on purpose
_HUES = {'circle': (0, 40), 'square': (50, 100), 'triangle': (105, 160)}


def textured_background(rng: np.random.Generator, h: int,
                        w: int) -> np.ndarray:
    """A smooth gradient plus stripes plus noise, in muted colours (BGR)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.uniform(60, 160, size=3)
    grad = rng.uniform(-0.3, 0.3, size=(2, 3))
    img = base + yy[..., None] * grad[0] + xx[..., None] * grad[1]
    freq, angle = rng.uniform(0.05, 0.3), rng.uniform(0, np.pi)
    stripes = np.sin(freq * (xx * np.cos(angle) + yy * np.sin(angle)))
    img += stripes[..., None] * rng.uniform(5, 20)
    img += rng.normal(0, 8, size=(h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def shape_mask(kind: str, h: int, w: int, cx: float, cy: float, r: float,
                angle: float) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    if kind == 'circle':
        cv2.circle(mask, (int(cx), int(cy)), int(r), 1, -1)
    else:
        n = 4 if kind == 'square' else 3
        pts = [(cx + r * np.cos(angle + 2 * np.pi * i / n),
                cy + r * np.sin(angle + 2 * np.pi * i / n)) for i in range(n)]
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask


def _colour(rng, kind) -> Tuple[int, int, int]:
    lo, hi = _HUES[kind]
    hsv = np.uint8([[[rng.integers(lo, hi), rng.integers(150, 255),
                      rng.integers(150, 255)]]])
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def render_scene(rng: np.random.Generator, h: int, w: int, max_objects: int
                 ) -> Tuple[np.ndarray, List[Tuple[int, np.ndarray]]]:
    """An image and its objects as (class index, visible mask), front last."""
    img = textured_background(rng, h, w)
    objects = []
    n = int(rng.integers(1, max_objects + 1))
    for _ in range(n):
        kind = int(rng.integers(len(SHAPES)))
        r = rng.uniform(0.12, 0.25) * min(h, w)
        if objects and rng.random() < 0.4:  # touch or occlude the last one
            py, px = np.argwhere(objects[-1][1]).mean(0)
            a = rng.uniform(0, 2 * np.pi)
            cx, cy = px + 1.2 * r * np.cos(a), py + 1.2 * r * np.sin(a)
        else:
            cx, cy = rng.uniform(r, w - r), rng.uniform(r, h - r)
        mask = shape_mask(SHAPES[kind], h, w, cx, cy, r,
                           rng.uniform(0, 2 * np.pi))
        if mask.sum() < 30:
            continue
        img[mask.astype(bool)] = _colour(rng, SHAPES[kind])
        for _, other in objects:  # the new shape hides what lies beneath
            other[mask.astype(bool)] = 0
        objects.append((kind, mask))
    return img, [(k, m) for k, m in objects if m.sum() >= 30]


def _polygons(mask: np.ndarray) -> List[List[float]]:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    return [c.reshape(-1).astype(float).tolist() for c in contours
            if len(c) >= 3]


def make_coco(root: str, num_train: int = 200, num_val: int = 40,
              size: Tuple[int, int] = (192, 256), seed: int = 0) -> str:
    """COCO layout: ``annotations/instances_{train,val}2017.json`` and
    ``{train,val}2017/*.jpg``. Returns ``root``."""
    rng = np.random.default_rng(seed)

    def pictures(count):
        for i in range(count):
            h, w = size if i % 2 == 0 else size[::-1]  # non-square both ways
            yield render_scene(rng, h, w, max_objects=4)

    for split, count in (('train2017', num_train), ('val2017', num_val)):
        write_coco_split(root, split, pictures(count), SHAPES)
    return root


def write_coco_split(root: str, split: str,
                     pictures: Iterable[Tuple[np.ndarray,
                                              List[Tuple[int, np.ndarray]]]],
                     classes: Sequence[str]) -> None:
    """Writes ``root/split/*.jpg`` and ``root/annotations/instances_<split>
    .json`` from (image, [(class index, visible mask)]) pairs, each mask as
    polygons with its box and area."""
    os.makedirs(osp.join(root, split), exist_ok=True)
    images, annotations = [], []
    for i, (img, objects) in enumerate(pictures):
        h, w = img.shape[:2]
        name = f'{i:06d}.jpg'
        cv2.imwrite(osp.join(root, split, name), img,
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
        images.append(dict(id=i + 1, file_name=name, height=h, width=w))
        for kind, mask in objects:
            polys = _polygons(mask)
            if not polys:
                continue
            x, y, bw, bh = cv2.boundingRect(mask)
            annotations.append(dict(
                id=len(annotations) + 1, image_id=i + 1,
                category_id=kind + 1, segmentation=polys,
                area=float(mask.sum()), bbox=[x, y, bw, bh], iscrowd=0))
    coco = dict(
        images=images, annotations=annotations,
        categories=[dict(id=i + 1, name=n, supercategory='shape')
                    for i, n in enumerate(classes)])
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    with open(osp.join(root, 'annotations', f'instances_{split}.json'),
              'w') as f:
        json.dump(coco, f)


def make_ade20k(root: str, num_train: int = 40, num_val: int = 10,
                size: Tuple[int, int] = (128, 160), seed: int = 1) -> str:
    """ADE20K layout under ``root/ADEChallengeData2016``: label PNGs where 0
    is "other" (ignored with reduce_zero_label) and shape k is label k + 1
    (ADE20K classes 0-2 after the reduction)."""
    rng = np.random.default_rng(seed)
    base = osp.join(root, 'ADEChallengeData2016')
    for split, count in (('training', num_train), ('validation', num_val)):
        os.makedirs(osp.join(base, 'images', split), exist_ok=True)
        os.makedirs(osp.join(base, 'annotations', split), exist_ok=True)
        for i in range(count):
            h, w = size if i % 2 == 0 else size[::-1]
            img, objects = render_scene(rng, h, w, max_objects=4)
            label = np.zeros((h, w), np.uint8)
            for kind, mask in objects:
                label[mask.astype(bool)] = kind + 1
            name = f'ADE_{split[:5]}_{i:08d}'
            cv2.imwrite(osp.join(base, 'images', split, name + '.jpg'), img)
            cv2.imwrite(osp.join(base, 'annotations', split, name + '.png'),
                        label)
    return base


def _dominant_shape_image(rng, size, kind):
    """A classification picture: one big shape of ``kind``, maybe others
    smaller."""
    h = w = size
    img = textured_background(rng, h, w)
    mask = shape_mask(SHAPES[kind], h, w, rng.uniform(0.4, 0.6) * w,
                       rng.uniform(0.4, 0.6) * h, rng.uniform(0.25, 0.35) * w,
                       rng.uniform(0, 2 * np.pi))
    img[mask.astype(bool)] = _colour(rng, SHAPES[kind])
    return img


def make_imagenet(root: str, per_class_train: int = 30,
                  per_class_val: int = 10, size: int = 64,
                  seed: int = 2) -> str:
    """ImageNet layout: ``train/<class>/*.JPEG``, ``val/*.JPEG`` and
    ``meta/{train,val}.txt`` ("path label" lines) plus ``meta/classes.txt``."""
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'meta'), exist_ok=True)
    with open(osp.join(root, 'meta', 'classes.txt'), 'w') as f:
        f.write('\n'.join(SHAPES) + '\n')
    for split, per_class in (('train', per_class_train),
                             ('val', per_class_val)):
        lines = []
        for kind, name in enumerate(SHAPES):
            for i in range(per_class):
                img = _dominant_shape_image(rng, size, kind)
                rel = (f'{name}/{name}_{i:05d}.JPEG' if split == 'train' else
                       f'ILSVRC_val_{kind * per_class + i:08d}.JPEG')
                path = osp.join(root, split, rel)
                os.makedirs(osp.dirname(path), exist_ok=True)
                cv2.imwrite(path, img)
                lines.append(f'{rel} {kind}')
        with open(osp.join(root, 'meta', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return root


def make_cifar100(root: str, num_train: int = 300, num_test: int = 90,
                  seed: int = 3) -> str:
    """CIFAR-100 python format: ``cifar-100-python/{train,test,meta}``
    pickles. Labels 0-2 are the three shapes (fine and coarse)."""
    rng = np.random.default_rng(seed)
    base = osp.join(root, 'cifar-100-python')
    os.makedirs(base, exist_ok=True)
    for split, count in (('train', num_train), ('test', num_test)):
        labels = [i % len(SHAPES) for i in range(count)]
        data = np.stack([
            _dominant_shape_image(rng, 32, k)[..., ::-1].transpose(2, 0, 1)
            .reshape(-1) for k in labels
        ]).astype(np.uint8)
        entry = {
            'filenames': [f'{split}_{i}.png' for i in range(count)],
            'data': data, 'fine_labels': labels, 'coarse_labels': labels,
        }
        with open(osp.join(base, split), 'wb') as f:
            pickle.dump(entry, f)
    fine = list(SHAPES) + [f'unused_{i}' for i in range(100 - len(SHAPES))]
    with open(osp.join(base, 'meta'), 'wb') as f:
        pickle.dump({'fine_label_names': fine,
                     'coarse_label_names': fine[:20]}, f)
    return root


def make_all(root: str = 'data/demo', small: bool = False) -> dict:
    """All four datasets under ``root``; ``small`` for tests."""
    k = 4 if small else 1
    return dict(
        coco=make_coco(osp.join(root, 'coco'), 200 // k, 40 // k),
        ade20k=make_ade20k(osp.join(root, 'ade'), 40 // k, 10 // k),
        imagenet=make_imagenet(osp.join(root, 'imagenet'), 30 // k, 10 // k),
        cifar100=make_cifar100(osp.join(root, 'cifar100'), 300 // k,
                               90 // k))
