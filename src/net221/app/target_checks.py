"""Checks of config values against what they will meet: the `_target_` they are passed to,
and the dtype they are cast to.

Layer: app. A key added with `+` that the target does not take, or a number that
overflows float32, is refused in one line before anything is built.
"""

from __future__ import annotations

import importlib
import inspect
import math
from typing import Any

import numpy as np
from omegaconf import DictConfig, ListConfig, OmegaConf

from net221.errors import ConfigValueError


def _fail(key: str, value: Any, problem: str) -> ConfigValueError:
    return ConfigValueError(f"{key}={value!r}: {problem}")


# keys of a `_target_` node that are Hydra's, not arguments of the target
HYDRA_KEYS = frozenset({"_target_", "_partial_", "_args_", "_recursive_", "_convert_"})


def locate(path: str) -> Any | None:
    """The object a dotted `_target_` names, or None where it cannot be found (instantiate says why)."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except Exception:  # not a module (or a module that fails): try a shorter prefix
            continue
        for name in parts[cut:]:
            found = getattr(found, name, None)
        return found
    return None


def known_arguments(node: DictConfig, where: str) -> None:
    """Keys of a `_target_` node must be arguments of the target (unless it takes **kwargs)."""
    target = locate(str(node._target_))
    try:
        parameters = list(inspect.signature(target).parameters.values()) if callable(target) else None
    except (TypeError, ValueError):  # no signature to read (a builtin)
        parameters = None
    if parameters is None or any(p.kind is p.VAR_KEYWORD for p in parameters):
        return
    names = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    for key in map(str, node):
        if key not in names and key not in HYDRA_KEYS:
            given = OmegaConf.to_container(node, resolve=False)
            assert isinstance(given, dict)
            raise _fail(
                f"{where}.{key}",
                given[key],
                f"unknown key; {node._target_} takes {', '.join(sorted(names)) or 'no arguments'}",
            )


def fits_dtype(key: str, value: Any, dtype: str) -> None:
    """Every number in `value` (a number, a list, a mapping) is finite and survives the cast to
    the training dtype: no overflow to inf, no nonzero value rounded to 0."""
    if isinstance(value, DictConfig | dict):
        for name, item in value.items():
            fits_dtype(f"{key}.{name!s}", item, dtype)
    elif isinstance(value, ListConfig | list | tuple):
        for i, item in enumerate(value):
            fits_dtype(f"{key}[{i}]", item, dtype)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise _fail(key, value, "must be a finite number")
        info = np.finfo(dtype)
        if abs(value) > float(info.max):
            raise _fail(
                key, value, f"does not fit in {dtype} (largest {info.max:.3g}; trainer.dtype={dtype})"
            )
        if value != 0 and abs(value) < float(info.smallest_subnormal):
            raise _fail(key, value, f"rounds to 0 in {dtype} (trainer.dtype={dtype})")
