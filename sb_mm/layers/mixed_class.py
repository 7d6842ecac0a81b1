"""The one factory behind every in-place class swap of sb_mm's layers."""
import sys
from typing import Dict, Tuple

_CACHE: Dict[Tuple[type, type], type] = {}


def mixed_class(mixin: type, cls: type, suffix: str, doc: str,
                module: str) -> type:
    """``class <cls.__name__><suffix>(mixin, cls)``, made once per
    ``(mixin, cls)`` and published in ``module`` (so that models pickle),
    with ``cls`` as its ``sb_stock_class`` (:func:`stock_class`);
    ``cls`` itself when it already has the mixin. A name already taken in
    ``module`` (the same class name from another library) gets ``cls``'s
    module path as a prefix."""
    if issubclass(cls, mixin):
        return cls
    key = (mixin, cls)
    if key not in _CACHE:
        home = sys.modules[module]
        name = f'{cls.__name__}{suffix}'
        if hasattr(home, name):
            name = f'{cls.__module__.replace(".", "_")}_{name}'
        new = type(name, (mixin, cls), {
            '__module__': module, '__qualname__': name,
            '__doc__': f'{cls.__name__} {doc}', 'sb_stock_class': cls})
        setattr(home, name, new)
        _CACHE[key] = new
    return _CACHE[key]


def stock_class(obj) -> type:
    """The library's own class of a module whose class :func:`mixed_class`
    swapped, through every swap (a norm that also normalises the SB maps is
    a ``BatchNorm2d`` here), else ``type(obj)``. Reads each made class's
    own ``sb_stock_class``: a subclass defined elsewhere is its own."""
    cls = type(obj)
    while 'sb_stock_class' in vars(cls):
        cls = vars(cls)['sb_stock_class']
    return cls
