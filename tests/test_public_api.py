"""The reference uses public, documented APIs only: no private torch, Hydra or os names in src/."""

from __future__ import annotations

import ast
from pathlib import Path

import net221

SOURCE = Path(net221.__file__).parent
# Hydra's documented config keys read as attributes of a DictConfig (cfg.model._target_).
HYDRA_KEYS = {"_target_", "_partial_", "_convert_", "_recursive_", "_args_"}
# Names that only a private API would need, also where they hide in strings (getattr).
FORBIDDEN_TEXT = ("torch._C", "_execution_engine", "__dynamo_disable", "os._exit", "_global_optimizer")


def is_private(name: str) -> bool:
    dunder = name.startswith("__") and name.endswith("__")
    return name.startswith("_") and not dunder and name not in HYDRA_KEYS


def private_uses(source: str) -> list[str]:
    """Private attributes of other objects, private modules imported, getattr with a private name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if any(is_private(part) for part in parts) or any(is_private(a.name) for a in node.names):
                found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {a.name}"
                for a in node.names
                if any(map(is_private, a.name.split(".")))
            ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr")
        ) and (
            len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and is_private(str(node.args[1].value))
        ):
            found.append(f"line {node.lineno}: {node.func.id}(..., {node.args[1].value!r})")
    return found + [f"text {text!r}" for text in FORBIDDEN_TEXT if text in source]


def test_src_reaches_into_no_private_names() -> None:
    files = sorted(SOURCE.rglob("*.py"))
    assert len(files) > 15
    problems = {str(path.relative_to(SOURCE)): private_uses(path.read_text()) for path in files}
    assert {path: found for path, found in problems.items() if found} == {}


def test_the_guard_catches_each_kind_of_private_use() -> None:
    examples = {
        "import torch\ntorch._C._nn.mse_loss(a, b)": 3,  # ._C, ._nn, and the text torch._C
        "from torch.autograd.variable import Variable\nVariable._execution_engine.run_backward()": 2,
        "import os\nos._exit(0)": 2,
        "from torch._dynamo import disable": 1,
        "import hydra._internal.utils": 1,
        "setattr(step, '__dynamo_disable', None)": 2,
        "optimizer._zero_grad_profile_name": 1,
    }
    for source, count in examples.items():
        assert len(private_uses(source)) == count, (source, private_uses(source))
    fine = "cfg.loss._target_\nself._cache = 1\nmodule.__name__\nimport torch.nn.functional as F"
    assert private_uses(fine) == []
