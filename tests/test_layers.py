"""The layer rule: core never imports training or app modules; training never imports app."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import net221

PACKAGE = Path(net221.__file__).parent
LAYERS = {
    "core": {"data", "derivation", "errata", "errors", "init", "losses", "network", "numpy_trainer"},
    "training": {
        *("backward", "checkpoint", "ensemble", "metrics", "optim_step", "trainer"),
        # checks
        *("formulas", "gradcheck", "isolation", "points", "table", "witnesses"),
    },
    "app": {"cli", "config", "datasets", "plots", "predict", "report", "train", "__main__"},
}
RANK = {"core": 0, "training": 1, "app": 2}


def layer_of(module: str) -> str:
    return next(layer for layer, members in LAYERS.items() if module in members)


def imported_net221_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("net221."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module == "net221":
            # `from net221.app import plots` names a module; `from net221 import __version__` does not
            found.update(alias.name for alias in node.names if (PACKAGE / f"{alias.name}.py").is_file())
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("net221."))
    return found


def test_every_module_has_a_layer() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules <= set().union(*LAYERS.values()), modules - set().union(*LAYERS.values())


def test_lower_layers_never_import_higher_ones() -> None:
    for path in PACKAGE.glob("*.py"):
        if path.stem == "__init__":
            continue
        own = RANK[layer_of(path.stem)]
        for imported in imported_net221_modules(path):
            if imported == "configs":
                continue
            assert RANK[layer_of(imported)] <= own, f"{path.stem} ({layer_of(path.stem)}) imports {imported}"


def test_core_imports_no_hydra_and_no_plotting() -> None:
    core = [f"net221.{name}" for name in sorted(LAYERS["core"])]
    code = f"import sys; import {', '.join(core)}; print(sorted(m for m in ('hydra', 'omegaconf', 'matplotlib') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_gradcheck_library_imports_no_hydra_and_no_plotting() -> None:
    checks = ("formulas", "gradcheck", "isolation", "points", "table", "witnesses")
    code = (
        f"import sys; import {', '.join(f'net221.{name}' for name in checks)}; "
        "print(sorted(m for m in ('hydra', 'omegaconf', 'matplotlib', 'net221.app') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_numpy_baseline_does_not_need_torch() -> None:
    code = "import sys; import net221.numpy_trainer; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
