"""CIFAR-100 in its python format from files that are not the official
archive (MMPretrain's dataset class; needs mmpretrain)."""
from mmpretrain.datasets import CIFAR100


class GeneratedCIFAR100(CIFAR100):
    """mmpretrain's ``CIFAR100`` for files in CIFAR-100's python format that
    are not the official archive (e.g. ``tools/make_demo_data.py``).

    The stock class checks each file against the md5 of the official
    release and otherwise tries to download it; this subclass skips only
    that checksum (and never downloads). Reading, labels and metrics are the
    stock class's.
    """
    train_list = [[name, None] for name, _ in CIFAR100.train_list]
    test_list = [[name, None] for name, _ in CIFAR100.test_list]
    meta = {**CIFAR100.meta, 'md5': None}

    def __init__(self, *args, download: bool = False, **kwargs):
        if download:
            raise ValueError('GeneratedCIFAR100 never downloads; use '
                             'CIFAR100 for the official archive')
        super().__init__(*args, download=False, **kwargs)


__all__ = ['GeneratedCIFAR100']
