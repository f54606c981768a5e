"""The layer rule: the reference (net221's top-level modules) never imports the checks
(net221.checks) or the app (net221.app); the checks never import the app.

Each library is also imported alone in a fresh interpreter, to see what it drags in."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import net221

PACKAGE = Path(net221.__file__).parent
RANK = {"reference": 0, "checks": 1, "app": 2}


def layer_of(module: str) -> str:
    """`net221.checks.compare` -> checks; `net221.app...` and `net221.__main__` -> app."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("checks", "app"):
        return parts[1]
    return "app" if parts[-1] == "__main__" else "reference"


def imported_net221_modules(path: Path) -> set[str]:
    """The net221 modules a file imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("net221"):
            if node.module == "net221":
                found.update(f"net221.{alias.name}" for alias in node.names if alias.name != "__version__")
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("net221."))
    return found


def module_name(path: Path) -> str:
    return ".".join(("net221", *path.relative_to(PACKAGE).with_suffix("").parts))


def test_lower_layers_never_import_higher_ones() -> None:
    checked = 0
    for path in PACKAGE.rglob("*.py"):
        own = RANK[layer_of(module_name(path))]
        for imported in imported_net221_modules(path):
            if imported.startswith("net221.configs"):
                continue
            checked += 1
            assert RANK[layer_of(imported)] <= own, f"{module_name(path)} imports {imported}"
    assert checked > 10  # the rule saw the package's imports


def test_the_layer_test_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from net221.app.train import run\nfrom net221 import network\nimport net221.checks.compare\n"
    )
    found = imported_net221_modules(bad)
    assert found == {"net221.app.train", "net221.network", "net221.checks.compare"}
    assert [layer_of(m) for m in sorted(found)] == ["app", "checks", "reference"]


def reference_modules() -> list[str]:
    return sorted(f"net221.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))


# What a fresh interpreter has loaded after importing each library in turn, from the lightest:
# one child process for all (each import only adds modules, so a clean later step means
# every earlier step was clean too).
WATCHED = ("torch", "hydra", "omegaconf", "matplotlib", "net221.checks", "net221.app")


@pytest.fixture(scope="module")
def loaded_after() -> dict[str, list[str]]:
    steps = {
        "numpy baseline": ["net221.numpy_trainer"],
        "reference": reference_modules(),
        "checks": sorted(module_name(p) for p in (PACKAGE / "checks").glob("*.py")),
    }
    code = "\n".join(
        [f"import json, sys\nWATCHED = {WATCHED!r}\nloaded = {{}}"]
        + [
            f"import {', '.join(modules)}\nloaded[{step!r}] = [m for m in WATCHED if m in sys.modules]"
            for step, modules in steps.items()
        ]
        + ["print(json.dumps(loaded))"]
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: dict[str, list[str]] = json.loads(result.stdout)
    return loaded


def test_the_numpy_baseline_does_not_need_torch(loaded_after: dict[str, list[str]]) -> None:
    assert loaded_after["numpy baseline"] == []


def test_the_reference_imports_no_hydra_no_plotting_and_no_higher_layer(
    loaded_after: dict[str, list[str]],
) -> None:
    assert loaded_after["reference"] == ["torch"]


def test_the_checks_import_no_hydra_and_no_plotting(loaded_after: dict[str, list[str]]) -> None:
    assert loaded_after["checks"] == ["torch", "net221.checks"]


def test_contributing_names_every_module_under_its_layer() -> None:
    text = (PACKAGE.parents[1] / "CONTRIBUTING.md").read_text()
    section = text[text.index("## Layout and layers") :]
    bullets = {
        "reference": section[section.index("- **the reference**") : section.index("- **the checks**")],
        "checks": section[section.index("- **the checks**") : section.index("- **the app**")],
        "app": section[section.index("- **the app**") : section.index("Library code never")],
    }
    for path in PACKAGE.rglob("*.py"):
        if path.stem in ("__init__", "__main__"):
            continue
        layer = layer_of(module_name(path))
        assert f"`{path.stem}`" in bullets[layer], f"CONTRIBUTING's {layer} layer does not name {path.stem}"
