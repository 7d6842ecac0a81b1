"""Data: the dataset class sb_mm adds (:mod:`.generated_cifar100`, registered
in MMPretrain by ``sb_mm.mmpretrain``) and the generators of the demo
data (:mod:`.generators`)."""
from .generators import (
    make_ade20k,
    make_all,
    make_cifar100,
    make_coco,
    make_imagenet,
)

__all__ = ['make_all', 'make_coco', 'make_ade20k', 'make_imagenet',
           'make_cifar100']
