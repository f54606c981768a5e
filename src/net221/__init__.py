"""net221: the 2-2-1 sigmoid network of "An Introduction to Neural Networks", exactly.

The public names load lazily: `import net221` imports no torch until a torch-backed name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from net221.data import BLOG_SHIFT, Dataset, Normalization, blog_dataset, held_out_people
    from net221.derivation import blog_partials, feedforward
    from net221.init import initial_parameters
    from net221.network import BLOG_NAMES, Net221
    from net221.numpy_trainer import NumpyNetwork

# module -> the public names it defines
_PUBLIC = {
    "net221.data": ("BLOG_SHIFT", "Dataset", "Normalization", "blog_dataset", "held_out_people"),
    "net221.derivation": ("blog_partials", "feedforward"),
    "net221.init": ("initial_parameters",),
    "net221.network": ("BLOG_NAMES", "Net221"),
    "net221.numpy_trainer": ("NumpyNetwork",),
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
    for module, names in _PUBLIC.items():
        if name in names:
            return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'net221' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
