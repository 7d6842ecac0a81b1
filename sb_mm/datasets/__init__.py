from .demo_data import (make_ade20k, make_all, make_cifar100, make_coco,
                        make_imagenet)

__all__ = ['make_all', 'make_coco', 'make_ade20k', 'make_imagenet',
           'make_cifar100']
