"""The layer rule: core never imports training or app modules; training never imports app.

The app layer is the subpackage net221.app; every other module names its layer here."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import net221

PACKAGE = Path(net221.__file__).parent
LAYERS = {
    "core": {"data", "derivation", "errata", "errors", "init", "network", "numpy_trainer"},
    "training": {
        "atomic",
        "checkpoint",
        "checkpoint_checks",
        "ensemble",
        "metrics",
        "seed_study",
        "loop",
        # checks: another implementation against the reference
        "compare",
        "implementation",
        "stages",
        "trajectory",
        # checks: a hand-written formula against autograd and finite differences
        "formulas",
        "gradcheck",
        "isolation",
        "points",
        "table",
        "witnesses",
    },
    "app": {"app", "__main__"},
}
RANK = {"core": 0, "training": 1, "app": 2}


def layer_of(module: str) -> str:
    return next(layer for layer, members in LAYERS.items() if module in members)


def imported_net221_modules(path: Path) -> set[str]:
    """The top-level net221 modules (or `app`) that a file imports, at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("net221."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module == "net221":
            # `from net221 import network` names a module; `from net221 import __version__` does not
            found.update(
                alias.name
                for alias in node.names
                if (PACKAGE / f"{alias.name}.py").is_file() or (PACKAGE / alias.name).is_dir()
            )
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("net221."))
    return found


def test_every_module_has_a_layer() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules <= set().union(*LAYERS.values()), modules - set().union(*LAYERS.values())


def test_lower_layers_never_import_higher_ones() -> None:
    checked = 0
    for path in PACKAGE.glob("*.py"):
        if path.stem == "__init__":
            continue
        own = RANK[layer_of(path.stem)]
        for imported in imported_net221_modules(path):
            if imported == "configs":
                continue
            checked += 1
            assert RANK[layer_of(imported)] <= own, f"{path.stem} ({layer_of(path.stem)}) imports {imported}"
    assert checked > 10  # the rule saw the package's imports


def test_the_layer_test_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from net221.app.train import run\nfrom net221 import network\n")
    assert imported_net221_modules(bad) == {"app", "network"}


# What a fresh interpreter has loaded after importing each library in turn, from the lightest:
# one child process for all (each import only adds modules, so a clean later step means
# every earlier step was clean too).
IMPORT_STEPS = {
    "numpy baseline": ["net221.numpy_trainer"],
    "core": [f"net221.{name}" for name in sorted(LAYERS["core"])],
    "gradcheck library": [f"net221.{name}" for name in ("formulas", "gradcheck", "isolation", "points", "table", "witnesses")],
    "compare library": ["net221.compare"],
}  # fmt: skip
WATCHED = ("torch", "hydra", "omegaconf", "matplotlib", "net221.app")


@pytest.fixture(scope="module")
def loaded_after() -> dict[str, list[str]]:
    code = "\n".join(
        [f"import json, sys\nWATCHED = {WATCHED!r}\nloaded = {{}}"]
        + [
            f"import {', '.join(modules)}\nloaded[{step!r}] = [m for m in WATCHED if m in sys.modules]"
            for step, modules in IMPORT_STEPS.items()
        ]
        + ["print(json.dumps(loaded))"]
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: dict[str, list[str]] = json.loads(result.stdout)
    return loaded


def test_the_numpy_baseline_does_not_need_torch(loaded_after: dict[str, list[str]]) -> None:
    assert loaded_after["numpy baseline"] == []


def test_core_imports_no_hydra_and_no_plotting(loaded_after: dict[str, list[str]]) -> None:
    assert loaded_after["core"] == ["torch"]


def test_the_gradcheck_library_imports_no_hydra_and_no_plotting(loaded_after: dict[str, list[str]]) -> None:
    assert loaded_after["gradcheck library"] == ["torch"]


def test_the_compare_library_imports_no_hydra_and_no_plotting(loaded_after: dict[str, list[str]]) -> None:
    assert loaded_after["compare library"] == ["torch"]


def listed_modules(text: str, label: str) -> set[str]:
    """Module names after `label` up to the next label, in a README layout block or a bullet list."""
    start = text.index(label) + len(label)
    rest = text[start:]
    stops = [
        rest.find(stop)
        for stop in ("core:", "training:", "checks:", "app:", "**", "tests/", "\n\n")
        if rest.find(stop) > 0
    ]
    words = rest[: min(stops)].replace("`", " ").replace(",", " ").replace(".", " ").split()
    return {
        word for word in words if word.isidentifier() and word == word.lower() and word not in ("the", "and")
    }


def test_readme_and_contributing_list_the_same_layers() -> None:
    root = PACKAGE.parents[1]
    app_modules = {path.stem for path in (PACKAGE / "app").glob("*.py")} - {"__init__"}
    readme = (root / "README.md").read_text()
    layout = readme[readme.index("## Layout") :]
    assert listed_modules(layout, "core:") == LAYERS["core"]
    assert listed_modules(layout, "training:") | listed_modules(layout, "checks:") == LAYERS["training"]
    assert listed_modules(layout, "app:") == app_modules
    contributing = (root / "CONTRIBUTING.md").read_text()
    layers = contributing[contributing.index("## Layers") :]
    assert LAYERS["core"] <= listed_modules(layers, "**core**:")
    assert LAYERS["training"] <= listed_modules(layers, "**training**:")
    assert app_modules <= listed_modules(layers, "**app**:")
