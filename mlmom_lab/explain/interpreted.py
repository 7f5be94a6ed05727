"""shap's masking kernels, run as the Python they are written in.

shap's permutation explainer (the one for models it cannot open up: nearest neighbours,
SVMs, neural networks, pyfunc models) masks rows with a few functions JIT-compiled by numba,
and numba compiles them again in every process: about 5 s on a 2-core machine, paid by each
``mlmom explain``, each registration of such a model and each first explanation in a kernel,
while the masks of a row take milliseconds to build either way (the model's own predictions
are what costs). numba keeps each kernel's Python function (``py_func``): for the length of
a call they stand in for the compiled ones, and the same code gives the same numbers.

    with interpreted_masking():
        result = shap.PermutationExplainer(...)(rows)
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Iterator
from typing import Any

# where shap keeps the kernels its permutation explainer calls by their module-level names
MODULES = ("shap.maskers._tabular", "shap.utils._masked_model")
_lock = threading.Lock()
_callers = 0  # calls inside the context now: the kernels are swapped back by the last one
_compiled: list[tuple[Any, str, Any]] = []  # (module, name, numba dispatcher)


@contextlib.contextmanager
def interpreted_masking() -> Iterator[None]:
    """Within the block, shap's numba kernels are their Python functions; outside it, and for
    a shap without them where they were, nothing changes."""
    global _callers
    with _lock:
        if _callers == 0:
            _swap_in()
        _callers += 1
    try:
        yield
    finally:
        with _lock:
            _callers -= 1
            if _callers == 0:
                _swap_back()


def _swap_in() -> None:
    from numba.core.dispatcher import Dispatcher

    for path in MODULES:
        try:
            module = importlib.import_module(path)
        except ImportError:  # another shap: its kernels, wherever they are, stay compiled
            continue
        for name, value in list(vars(module).items()):
            if isinstance(value, Dispatcher):
                _compiled.append((module, name, value))
                setattr(module, name, value.py_func)


def _swap_back() -> None:
    while _compiled:
        module, name, dispatcher = _compiled.pop()
        setattr(module, name, dispatcher)
