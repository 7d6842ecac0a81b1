"""Every shim between the pinned OpenMMLab releases and today's torch / numpy,
in one place. Applied once on ``import sb_mm``; each has a test in
``tests/test_compat.py`` that fails without it.

1. ``torch.load`` defaults to ``weights_only=True`` since torch 2.6, and
   mmengine 0.10.7 calls it without the argument, so ``--resume`` dies on the
   ``HistoryBuffer`` and numpy objects that mmengine itself writes into its
   checkpoints. We allow-list exactly those types
   (``torch.serialization.add_safe_globals``); ``weights_only`` stays on, so a
   checkpoint from elsewhere still cannot run code when it is unpickled.
   ``HistoryBuffer.__getstate__`` also stores its statistics methods, which
   pickle as ``getattr(HistoryBuffer, 'min')``: instead of allowing
   ``getattr`` (a door to anything), the name ``builtins.getattr`` is mapped
   to :func:`history_buffer_getattr`, which answers only that question.
2. mmengine's ``LocalBackend.put`` / ``put_text`` write the target file in
   place: a run killed while saving leaves a truncated ``epoch_N.pth`` that
   ``--resume`` then fails on. We write to a temporary file in the same folder
   and ``os.replace`` it: the old file stays whole until the new one is
   complete.
3. mmengine's ``CheckpointHook`` writes the ``last_checkpoint`` pointer with
   a plain ``open(path, 'w')`` (not through the backend): killed during that
   write, the pointer is left empty and ``--resume`` starts from scratch. The
   hook module's ``open`` is replaced by :func:`atomic_open`, which gives
   writes the same temporary-file-and-replace treatment.
4. mmengine's local checkpoint loader (``load_from_local``, behind
   ``init_cfg=dict(type='Pretrained')``, ``load_from``, ``--resume`` and
   ``tools/test.py``) calls ``torch.load`` without ``weights_only`` and,
   when torch refuses a file that would run code, the error does not say
   which file (a config can name several). It is replaced by
   :func:`load_checkpoint_file`: ``weights_only=True`` explicitly (not left
   to torch's default or an environment variable), and a refusal names the
   file.
5. mmengine's ``revert_sync_batchnorm`` (called by mmseg's ``init_model``
   and the inferencers on a CPU, and by stock analysis tools) rebuilds every
   SyncBN as a ``_BatchNormXd`` and re-attaches its children: an SB norm
   (stock SyncBN over C + its ``sb_norm`` over the m maps) keeps its
   ``sb_norm`` child but loses the split forward, and the first forward
   fails (``running_mean should contain 67 elements not 64``). Every
   mmengine holds the function by name, so the class is what is patched:
   ``_BatchNormXd.forward`` splits off the maps when the layer has an
   ``sb_norm``, and is mmengine's own otherwise.
"""
import numpy as np
import torch

# the shims' file helpers, re-exported for the imports of sb_mm 0.1
from .checkpoint_io import (  # noqa: F401
    atomic_open,
    atomic_write,
    load_checkpoint_file,
)

_APPLIED = False
#: the functions the shims replaced (for tests that show why they exist)
ORIGINALS: dict = {}


def mmengine_checkpoint_safe_globals() -> list:
    """The non-tensor types mmengine 0.10.7 pickles into a checkpoint."""
    from mmengine.logging.history_buffer import HistoryBuffer
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = {
        type(np.dtype(name))
        for name in ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8',
                     'uint16', 'uint32', 'uint64', 'float16', 'float32',
                     'float64')
    }
    return [HistoryBuffer, _reconstruct, scalar, np.ndarray, np.dtype,
            *sorted(dtype_classes, key=lambda c: c.__name__)]


def history_buffer_getattr(obj, name: str):
    """``getattr`` restricted to what mmengine checkpoints ask of it: a
    statistics method of ``HistoryBuffer`` (``min``, ``max``, ``mean``,
    ``current`` or one registered with ``register_statistics``)."""
    import pickle

    from mmengine.logging.history_buffer import HistoryBuffer
    if (obj is HistoryBuffer and isinstance(name, str)
            and not name.startswith('_')
            and (name in ('min', 'max', 'mean', 'current')
                 or name in HistoryBuffer._statistics_methods)):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); sb_mm allows only '
        'the statistics methods of mmengine HistoryBuffer')


def _allow_mmengine_checkpoints() -> None:
    torch.serialization.add_safe_globals(
        mmengine_checkpoint_safe_globals() +
        [(history_buffer_getattr, 'builtins.getattr')])


def _named_weights_only_loader() -> None:
    from mmengine.runner.checkpoint import CheckpointLoader
    ORIGINALS['CheckpointLoader.local'] = CheckpointLoader._schemes['']
    CheckpointLoader.register_scheme(prefixes='', loader=load_checkpoint_file,
                                     force=True)


def _split_norm_after_revert() -> None:
    from mmengine.model.utils import _BatchNormXd

    from .layers.names import SB_NORM
    from .layers.norm_with_spatial_bias import split_forward
    original = _BatchNormXd.forward
    ORIGINALS['_BatchNormXd.forward'] = original

    def forward(self, x):
        if SB_NORM not in self._modules:
            return original(self, x)
        return split_forward(lambda part: original(self, part), self, x)

    forward.__doc__ = ('mmengine _BatchNormXd.forward, splitting off the SB '
                       'maps of a reverted SB norm (sb_mm shim 5).')
    _BatchNormXd.forward = forward


def _atomic_last_checkpoint() -> None:
    import mmengine.hooks.checkpoint_hook as hook_module
    ORIGINALS['checkpoint_hook.open'] = getattr(hook_module, 'open', open)
    hook_module.open = atomic_open


def _atomic_local_backend() -> None:
    from mmengine.fileio.backends.local_backend import LocalBackend

    def put(self, obj, filepath):
        atomic_write(obj, filepath, 'wb')

    def put_text(self, obj, filepath, encoding='utf-8'):
        atomic_write(obj, filepath, 'w', encoding=encoding)

    put.__doc__ = 'Atomic version of mmengine LocalBackend.put (sb_mm).'
    put_text.__doc__ = 'Atomic version of LocalBackend.put_text (sb_mm).'
    ORIGINALS['LocalBackend.put'] = LocalBackend.put
    ORIGINALS['LocalBackend.put_text'] = LocalBackend.put_text
    LocalBackend.put = put
    LocalBackend.put_text = put_text


def apply() -> None:
    """Applies every shim once (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    _allow_mmengine_checkpoints()
    _atomic_local_backend()
    _atomic_last_checkpoint()
    _named_weights_only_loader()
    _split_norm_after_revert()
    _APPLIED = True
