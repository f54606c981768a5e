"""Run and sweep directories that no two commands share, even when started in the same second.

Layer: app. Hydra names a run's directory outputs/DATE/TIME and makes it if missing,
so two runs started in the same second would share one train.log and one
summary.json. configs/hydra/default.yaml wraps both patterns in the resolver
`net221.unique_dir`, which creates the directory itself with `os.mkdir`, which
fails when the name exists: it then tries TIME_2, TIME_3, ... Of any number of
commands started together, each gets a directory of its own. OmegaConf caches the
resolved name, so every later use of it within a command (a sweep's jobs too)
reads the same directory.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from omegaconf import OmegaConf

RESOLVER = "net221.unique_dir"


def unique_dir(path: str) -> str:
    """Create the directory `path`, or `path_2`, `path_3`, ... when taken; return its name."""
    base = Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    for n in itertools.count(1):
        candidate = base if n == 1 else base.with_name(f"{base.name}_{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return str(candidate)
    raise AssertionError("unreachable")


def register() -> None:
    if not OmegaConf.has_resolver(RESOLVER):
        OmegaConf.register_new_resolver(RESOLVER, unique_dir, use_cache=True)
