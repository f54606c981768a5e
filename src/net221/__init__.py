"""net221: the 2-2-1 sigmoid network of "An Introduction to Neural Networks", exactly.

The public names are loaded lazily so that `import net221` (and the command-line
entry points' argument handling) stays fast: torch is imported only when a
torch-backed name is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from net221.data import (
        BLOG_SHIFT,
        Dataset,
        Normalization,
        blog_dataset,
        held_out_people,
    )
    from net221.derivation import blog_partials, feedforward
    from net221.init import initial_parameters
    from net221.network import BLOG_NAMES, Net221
    from net221.numpy_trainer import NumpyNetwork

# name -> module that defines it
_PUBLIC = {
    "BLOG_NAMES": "net221.network",
    "Net221": "net221.network",
    "blog_partials": "net221.derivation",
    "feedforward": "net221.derivation",
    "NumpyNetwork": "net221.numpy_trainer",
    "initial_parameters": "net221.init",
    "BLOG_SHIFT": "net221.data",
    "Dataset": "net221.data",
    "Normalization": "net221.data",
    "blog_dataset": "net221.data",
    "held_out_people": "net221.data",
}

__all__ = [
    "BLOG_NAMES",
    "BLOG_SHIFT",
    "Dataset",
    "Net221",
    "Normalization",
    "NumpyNetwork",
    "__version__",
    "blog_dataset",
    "blog_partials",
    "feedforward",
    "held_out_people",
    "initial_parameters",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'net221' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
