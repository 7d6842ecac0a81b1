"""The one factory behind every in-place class swap of sb_mm's layers."""
import sys
from typing import Dict, Tuple

_CACHE: Dict[Tuple[type, type], type] = {}


def mixed_class(mixin: type, cls: type, suffix: str, doc: str,
                module: str) -> type:
    """``class <cls.__name__><suffix>(mixin, cls)``, made once per
    ``(mixin, cls)`` and published in ``module`` (so that models pickle);
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
            '__doc__': f'{cls.__name__} {doc}'})
        setattr(home, name, new)
        _CACHE[key] = new
    return _CACHE[key]
