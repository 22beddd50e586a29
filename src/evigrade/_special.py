"""scipy's special-function ufuncs (``scipy.special._ufuncs``) without the import-time cost of ``scipy.special``.

``import scipy.special`` costs about 0.3 s of CPU (twice ``import numpy``): since scipy 1.15 its
``__init__`` loads the array-API layer, which clones the numpy namespace and so imports numpy.f2py,
numpy.testing, numpy.ma, numpy.random ...  The distribution functions evigrade's command line needs
(``_dist``: ndtr, stdtrit, chdtrc, ...; ``gammaln`` in escalc; the batch engine's quantiles) are plain
ufuncs of the compiled module ``scipy.special._ufuncs``, which loads in a few milliseconds.  Python
runs a package's ``__init__`` before any of its submodules, so ``ufuncs`` is loaded here under a bare
package object that stands in for ``scipy.special`` only while that one module loads (with the import
lock held); ``sys.modules`` then keeps ``scipy.special._ufuncs``, and a later ``import scipy.special``
runs the real ``__init__``, which takes the already loaded module: ``scipy.special.ndtr is
ufuncs.ndtr`` (the very same objects, so every result is bit-identical; ``tests/unit/test_special_import.py``).

If ``scipy.special`` is already imported, or the shortcut fails for any reason (another scipy
layout), ``ufuncs`` is ``scipy.special`` itself, which has the same public names.
"""
from __future__ import annotations

import sys
from types import ModuleType

__all__ = ["ufuncs"]


def _package() -> ModuleType:
    import scipy.special  # (waits for another thread's import of it to finish)

    return scipy.special


def _load() -> ModuleType:
    if "scipy.special" in sys.modules:
        return _package()
    try:
        import importlib.util

        import _imp

        import scipy

        spec = importlib.util.find_spec("scipy.special")
        if spec is None or not spec.submodule_search_locations:
            return _package()
        _imp.acquire_lock()  # no other thread may import scipy.special while the stand-in is in place
        try:
            loaded: ModuleType | None = None
            if "scipy.special" not in sys.modules:  # (else: being imported meanwhile by another thread)
                stand_in = ModuleType("scipy.special")
                stand_in.__path__ = list(spec.submodule_search_locations)
                stand_in.__spec__ = spec
                sys.modules["scipy.special"] = stand_in
                try:
                    from scipy.special import _ufuncs

                    loaded = _ufuncs
                finally:
                    if sys.modules.get("scipy.special") is stand_in:
                        del sys.modules["scipy.special"]
                    if vars(scipy).get("special") is stand_in:  # (getattr would import scipy.special)
                        del scipy.special
        finally:
            _imp.release_lock()
        return _package() if loaded is None else loaded
    except Exception:  # any other layout: the whole package (same names, its usual cost)
        return _package()


#: ``scipy.special._ufuncs`` (or ``scipy.special``): ``ufuncs.ndtr``, ``ufuncs.stdtrit``, ``ufuncs.gammaln``, ...
ufuncs = _load()
