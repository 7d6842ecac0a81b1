"""Checkpoint files: checked, loaded weights-only, unwrapped, written
atomically. The bottom floor of sb_mm's checkpoint handling: it imports
nothing of sb_mm, and the tools, the converters, the checks and the
compatibility shims (``sb_mm.compat``) all use it."""
import os
import os.path as osp
import pickle
import tempfile
import zipfile
from typing import Dict, Mapping

import torch


def check_checkpoint_file(path: str) -> None:
    """Exists, is not empty, and is a whole torch file (zip with its central
    directory, or a legacy pickle)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    size = osp.getsize(path)
    if size == 0:
        raise ValueError(f'checkpoint {path} is empty (0 bytes)')
    with open(path, 'rb') as f:
        head = f.read(4)
    if head[:2] == b'PK':
        if not zipfile.is_zipfile(path):
            raise ValueError(
                f'checkpoint {path} is cut short ({size} bytes, the end of '
                'its zip archive is missing): was it truncated while '
                'copying or saving?')
        return
    if head[:1] != b'\x80':
        raise ValueError(
            f'{path} is not a readable torch checkpoint (neither a zip nor a '
            'pickle file); was it cut short while copying?')


def atomic_write(data, filepath, mode: str = 'wb', encoding=None) -> None:
    """Writes ``data`` to ``filepath`` through a temporary file and
    ``os.replace``: readers see the old file or the whole new one."""
    filepath = os.fspath(filepath)
    folder = os.path.dirname(filepath) or '.'
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{os.path.basename(filepath)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except OSError as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise OSError(e.errno,
                      f'could not write {filepath} ({e.strerror or e});'
                      ' nothing was replaced: the previous file, if any, is '
                      'unchanged') from e
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class _AtomicFile:
    """A file opened for writing whose content replaces ``path`` only when it
    is closed without an error (see :func:`atomic_write`)."""

    def __init__(self, path, mode: str, **kwargs):
        self.path = os.fspath(path)
        folder = os.path.dirname(self.path) or '.'
        fd, self.tmp = tempfile.mkstemp(
            dir=folder, prefix=f'.{os.path.basename(self.path)}.',
            suffix='.tmp')
        self.file = os.fdopen(fd, mode, **kwargs)

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.file.close()
            os.remove(self.tmp)

    def close(self) -> None:
        if self.file.closed:
            return
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.path)


def atomic_open(file, mode: str = 'r', *args, **kwargs):
    """``open``, except that writing (``'w'``, ``'wb'``) goes to a temporary
    file that replaces ``file`` when closed."""
    if mode in ('w', 'wb', 'wt') and not args:
        return _AtomicFile(file, mode, **kwargs)
    return open(file, mode, *args, **kwargs)


def load_checkpoint_file(filename, map_location=None):
    """``torch.load(filename, weights_only=True)``; a file whose unpickling
    would call anything beyond tensors and mmengine's own bookkeeping types
    is refused with an ``UnpicklingError`` that names it."""
    filename = os.path.expanduser(os.fspath(filename))
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()
        reason = next((line for line in first if 'Unsupported global' in line
                       or 'GLOBAL' in line), first[0] if first else '')
        raise pickle.UnpicklingError(
            f'refused to load checkpoint {filename}: unpickling it would run '
            f'code or build objects that are not weights ({reason.strip()}). '
            'Load only checkpoints you trust; a weights-only copy can be '
            'made where the file came from with torch.save(state_dict)'
        ) from None


def unwrap_state_dict(checkpoint) -> Dict[str, object]:
    """The state dict inside a loaded checkpoint: under ``state_dict``
    (mmengine), ``model`` / ``state_dict_ema`` (timm's training script), or
    the checkpoint itself, without a (Distributed)DataParallel ``module.``
    prefix. Not a mapping: an empty dict."""
    for key in ('state_dict', 'model', 'state_dict_ema'):
        inner = checkpoint.get(key) if isinstance(checkpoint, Mapping) \
            else None
        if isinstance(inner, Mapping):
            checkpoint = inner
            break
    if not isinstance(checkpoint, Mapping):
        return {}
    return strip_module_prefix(checkpoint)


def strip_module_prefix(state: Mapping) -> Dict[str, object]:
    """``state`` without the ``module.`` prefix a (Distributed)DataParallel
    wrapper puts before every key."""
    return {k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in state.items()}


__all__ = ['atomic_open', 'atomic_write', 'check_checkpoint_file',
           'load_checkpoint_file', 'strip_module_prefix', 'unwrap_state_dict']
