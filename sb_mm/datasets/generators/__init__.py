"""Generators of small datasets in the real formats (COCO instances, the
ADE20K layout, ImageNet folders, CIFAR-100 pickles), deterministic by seed:
the demo data (:mod:`.demo`) and the long-range study's tasks
(:mod:`.long_range`)."""
from .demo import (
    make_ade20k,
    make_all,
    make_cifar100,
    make_coco,
    make_imagenet,
)
from .long_range import make_long_range

__all__ = ['make_all', 'make_coco', 'make_ade20k', 'make_imagenet',
           'make_cifar100', 'make_long_range']
