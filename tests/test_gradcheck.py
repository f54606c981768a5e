"""net221-gradcheck: the comparison in-process, and the console script end to end."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from omegaconf import OmegaConf

from net221.app.gradcheck import (
    INPUT_RANGE,
    Settings,
    autograd_partials,
    compare,
    finite_difference_partials,
    gradcheck_points,
    load_formula,
    random_points,
    relative_error,
    report,
)
from net221.app.schemas import GradcheckConfig, validate_gradcheck
from net221.derivation import blog_partials
from net221.errors import ConfigValueError, FormulaError
from net221.init import BLOG_NAMES
from net221.network import Net221

from conftest import WORKED_GRADIENTS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scripts" / "my_partials.py"
PROG = "net221-gradcheck"

HIDDEN = ["w1", "w2", "w3", "w4", "b1", "b2"]
OUTPUT = ["w5", "w6", "b3"]


# --- the console script -------------------------------------------------------------


def run_gradcheck(
    tmp_path: Path, *overrides: str, multirun: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script in tmp_path, its outputs under tmp_path/run."""
    script = shutil.which(PROG, path=str(Path(sys.executable).parent)) or shutil.which(PROG)
    assert script is not None, f"{PROG} is not installed (pip install -e .)"
    env = {k: v for k, v in os.environ.items() if k not in ("NET221_TRACEBACK", "HYDRA_FULL_ERROR")}
    out_dir = f"hydra.sweep.dir={tmp_path / 'run'}" if multirun else f"hydra.run.dir={tmp_path / 'run'}"
    command = [script, *(["-m"] if multirun else []), out_dir, *overrides]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"{PROG}: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def read_report(tmp_path: Path, sub: str = "") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tmp_path / "run" / sub / "gradcheck.json").read_text())
    return data


def table_verdicts(stdout: str) -> dict[str, str]:
    """Parameter name -> PASS/FAIL from the printed table's rows."""
    verdicts = {}
    for line in stdout.splitlines():
        cells = line.split()
        if cells and cells[0] in BLOG_NAMES:
            verdicts[cells[0]] = cells[-1] if cells[-1] != "(FD)" else "FAIL (FD)"
    return verdicts


def test_cli_blog_passes_and_writes_the_report(tmp_path: Path) -> None:
    proc = run_gradcheck(tmp_path, "points=20")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert table_verdicts(proc.stdout) == dict.fromkeys(BLOG_NAMES, "PASS")
    assert "PASS: blog agrees on all 9 partials at 21 points" in proc.stdout

    data = read_report(tmp_path)
    assert data["formula"] == "blog" and data["source"] == "net221.derivation:blog_partials"
    assert data["passed"] is True and data["failed"] == []
    assert len(data["points"]) == 21
    assert [p["kind"] for p in data["points"]] == ["worked_example"] + ["random"] * 20
    example = data["points"][0]
    assert example["params"] == dict(zip(BLOG_NAMES, [1.0] * 6 + [0.0] * 3, strict=True))
    assert (example["x1"], example["x2"], example["y_true"]) == (-2.0, -1.0, 1.0)
    for witness in ("formula", "autograd"):
        assert example[witness]["w1"] == pytest.approx(0.0214695353, abs=1e-9)
        assert example[witness]["b3"] == pytest.approx(-0.2376175595, abs=1e-9)
    assert example["finite_difference"]["b3"] == pytest.approx(-0.2376175595, abs=1e-8)
    for name in BLOG_NAMES:
        result = data["parameters"][name]
        assert result["pass"] is result["autograd_pass"] is result["fd_pass"] is True
        assert result["formula_at_example"] == pytest.approx(WORKED_GRADIENTS[name], abs=1e-9)
        assert result["max_rel_error"] <= data["settings"]["tolerance"]
    # the report's points are the ones the app draws
    assert data["points"][5]["params"] == gradcheck_points(20, 0)[5].params


def test_cli_seed_notes_fails_on_every_parameter(tmp_path: Path) -> None:
    proc = run_gradcheck(tmp_path, "formula=seed_notes", "points=20")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert table_verdicts(proc.stdout) == dict.fromkeys(BLOG_NAMES, "FAIL")
    assert "FAIL: seed_notes disagrees on 9 of 9 partials: w1, w2, w3, w4, w5, w6, b1, b2, b3" in proc.stdout
    data = read_report(tmp_path)
    assert data["passed"] is False and data["failed"] == list(BLOG_NAMES)
    assert all(data["parameters"][name]["pass"] is False for name in BLOG_NAMES)
    # the notes drop w3 and w4 from the hidden neurons: their partials are 0
    assert data["points"][0]["formula"]["w3"] == 0.0
    assert data["points"][0]["autograd"]["w3"] == pytest.approx(0.0214695353, abs=1e-9)


def test_cli_user_file_with_one_wrong_partial(tmp_path: Path) -> None:
    wrong = write_wrong_w4(tmp_path)
    proc = run_gradcheck(tmp_path, f"formula={wrong.name}:my_partials", "points=20")
    assert proc.returncode == 1, proc.stderr
    verdicts = table_verdicts(proc.stdout)
    assert verdicts.pop("w4") == "FAIL"
    assert set(verdicts.values()) == {"PASS"}
    assert read_report(tmp_path)["failed"] == ["w4"]


def test_cli_sweep_runs_every_job_and_exits_1_when_one_fails(tmp_path: Path) -> None:
    proc = run_gradcheck(tmp_path, "formula=blog,seed_notes_hidden", "points=5", multirun=True)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert read_report(tmp_path, "0")["passed"] is True
    assert read_report(tmp_path, "1")["failed"] == HIDDEN


@pytest.mark.parametrize(
    ("override", "contents", "fragments"),
    [
        ("formula=missing.py:my_partials", None, ["formula=missing.py:my_partials: no such file missing.py"]),
        (
            "formula=bad.py:f",
            "def f(**kw):\n    return {\n",
            ["formula=bad.py:f", "cannot import bad.py: SyntaxError"],
        ),
        (
            "formula=bad.py:f",
            "import math\n\ndef f(**kw):\n    return {k: 0.5 for k in kw if k[0] in 'wb'} | {'b2': math.nan}\n",
            ["returned nan for b2 at point 0 (the worked example"],
        ),
        ("points=-1", None, ["points=-1: must be >= 0"]),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, override: str, contents: str | None, fragments: list[str]
) -> None:
    if contents is not None:
        (tmp_path / "bad.py").write_text(contents)
    assert_one_line_error(run_gradcheck(tmp_path, override), *fragments)


# --- the comparison, in-process ----------------------------------------------------------


def write_wrong_w4(folder: Path) -> Path:
    """scripts/my_partials.py with dh2/dw4 taking x1 where x2 belongs."""
    text = EXAMPLE.read_text()
    assert text.count("d_h2_d_w4 = x2 *") == 1
    path = folder / "wrong_w4.py"
    path.write_text(text.replace("d_h2_d_w4 = x2 *", "d_h2_d_w4 = x1 *"))
    return path


def test_points() -> None:
    points = gradcheck_points(50, seed=3)
    assert len(points) == 51
    example = points[0]
    assert example.kind == "worked_example"
    assert example.params == dict(zip(BLOG_NAMES, [1.0] * 6 + [0.0] * 3, strict=True))
    assert (example.x1, example.x2, example.y_true) == (-2.0, -1.0, 1.0)
    randoms = points[1:]
    assert all(p.kind == "random" for p in randoms)
    assert all(abs(p.x1) <= INPUT_RANGE and abs(p.x2) <= INPUT_RANGE for p in randoms)
    assert {p.y_true for p in randoms} == {0.0, 1.0}
    weights = np.array([[p.params[name] for name in BLOG_NAMES] for p in randoms])
    assert 0.7 < weights.std() < 1.3 and abs(weights.mean()) < 0.2
    # seeded, and point k is the same whatever the number of points
    assert random_points(5, seed=3) == randoms[:5]
    assert random_points(5, seed=4) != randoms[:5]
    assert gradcheck_points(0, seed=3) == [example]


def test_blog_passes_with_room_to_spare() -> None:
    result = compare(load_formula("blog"), gradcheck_points(300, seed=1))
    assert result.passed and result.failed == []
    for p in result.parameters:
        assert p.max_rel_error < 1e-12, p
        assert p.fd_max_rel_error < 1e-6, p
        assert p.formula_at_example == pytest.approx(WORKED_GRADIENTS[p.name], abs=1e-9)
        assert p.autograd_at_example == pytest.approx(WORKED_GRADIENTS[p.name], abs=1e-9)
        assert p.fd_at_example == pytest.approx(WORKED_GRADIENTS[p.name], abs=1e-8)


def test_example_script_and_module_specs_pass() -> None:
    points = gradcheck_points(50, seed=2)
    for spec in (f"{EXAMPLE}:my_partials", "net221.derivation:blog_partials"):
        formula = load_formula(spec)
        assert compare(formula, points).passed, spec
    assert load_formula("net221.derivation:blog_partials").function is blog_partials


def test_batched_autograd_equals_one_module_per_point() -> None:
    points = gradcheck_points(30, seed=5)
    batched = autograd_partials(points)
    for i, point in enumerate(points):
        model = Net221(initial=point.params)
        x = torch.tensor([[point.x1, point.x2]], dtype=torch.float64)
        y = torch.tensor([[[point.y_true]]], dtype=torch.float64)
        F.mse_loss(model(x), y, reduction="sum").backward()
        single = model.blog_gradients()
        for j, name in enumerate(BLOG_NAMES):
            assert math.isclose(batched[i, j], single[name], rel_tol=1e-13, abs_tol=1e-300), (i, name)


def test_finite_differences_approximate_the_blog_partials() -> None:
    points = gradcheck_points(30, seed=6)
    exact = np.array(
        [
            [blog_partials(**p.params, x1=p.x1, x2=p.x2, y_true=p.y_true)[n] for n in BLOG_NAMES]
            for p in points
        ]
    )
    for step, bound in ((1e-4, 1e-7), (1e-2, 1e-2)):
        error = np.abs(finite_difference_partials(points, step) - exact).max()
        assert error < bound, (step, error)
    # a step of 0.01 is coarse enough to show the O(step^2) truncation error
    assert np.abs(finite_difference_partials(points, 1e-2) - exact).max() > 1e-7


def test_relative_error_has_a_floor() -> None:
    a, b = np.array([2.0, 1e-15, 3e-15]), np.array([1.0, 0.0, 1e-15])
    assert relative_error(a, b, 1e-12).tolist() == pytest.approx([1.0, 1e-3, 2e-3])
    assert relative_error(a, b, 1e-20)[2] == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("formula", "failing"),
    [("seed_notes", list(BLOG_NAMES)), ("seed_notes_loss", list(BLOG_NAMES)), ("seed_notes_hidden", HIDDEN)],
)
def test_documented_mistakes_fail_on_the_expected_parameters(formula: str, failing: list[str]) -> None:
    result = compare(load_formula(formula), gradcheck_points(50, seed=0))
    assert not result.passed
    assert result.failed == failing
    for p in result.parameters:
        if p.name in failing:
            # clearly wrong, not borderline, by both witnesses
            assert p.max_rel_error > 1e-2 and p.fd_max_rel_error > 1e-2, p
            assert not p.autograd_pass and not p.fd_pass
        else:
            assert p.name in OUTPUT
            assert p.max_rel_error < 1e-12 and p.passed, p


def test_user_formula_with_one_wrong_partial_fails_on_exactly_that_one(tmp_path: Path) -> None:
    result = compare(load_formula(f"{write_wrong_w4(tmp_path)}:my_partials"), gradcheck_points(50, seed=0))
    assert result.failed == ["w4"]
    w4 = result.parameters[BLOG_NAMES.index("w4")]
    assert w4.max_rel_error > 0.1


def test_tolerances_decide_pass_and_fail() -> None:
    # the blog's formula vs autograd differs only by rounding (~1e-16 relative) ...
    points = gradcheck_points(20, seed=0)
    strict = Settings(tolerance=1e-20)
    result = compare(load_formula("blog"), points, strict)
    assert result.failed, "rounding differences exceed a 1e-20 tolerance somewhere"
    assert all(p.fd_pass for p in result.parameters)
    # ... and finite differences with a coarse step fail a tight fd_tolerance alone
    coarse = compare(load_formula("blog"), points, Settings(step=1e-1, fd_tolerance=1e-6))
    assert coarse.failed and all(p.autograd_pass for p in coarse.parameters)


def test_report_holds_every_point_and_is_strict_json() -> None:
    result = compare(load_formula("seed_notes_hidden"), gradcheck_points(7, seed=9))
    data = json.loads(json.dumps(report(result, seed=9), allow_nan=False))
    assert data["settings"]["points"] == 8 and data["settings"]["random_points"] == 7
    assert data["settings"]["seed"] == 9
    assert len(data["points"]) == 8
    for i, point in enumerate(data["points"]):
        assert point["index"] == i
        assert set(point["params"]) == set(BLOG_NAMES)
        for witness in ("formula", "autograd", "finite_difference"):
            assert list(point[witness]) == list(BLOG_NAMES)
        assert point["formula"]["w3"] == 0.0
    assert {name: data["parameters"][name]["pass"] for name in BLOG_NAMES} == {
        name: name in OUTPUT for name in BLOG_NAMES
    }
    assert data["failed"] == HIDDEN


# --- bad formulas, in-process --------------------------------------------------------------


def load_error(spec: str) -> str:
    with pytest.raises(FormulaError) as info:
        load_formula(spec)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"formula={spec}: "), message
    return message


def evaluation_error(tmp_path: Path, body: str, points: int = 0) -> tuple[str, str]:
    """The error for a formula file whose function `f` has the given body."""
    path = tmp_path / "formula.py"
    path.write_text(
        "import math\n\n\ndef f(**kw):\n" + "".join(f"    {line}\n" for line in body.splitlines())
    )
    spec = f"{path}:f"
    formula = load_formula(spec)
    with pytest.raises(FormulaError) as info:
        compare(formula, gradcheck_points(points, seed=0))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"formula={spec}: "), message
    return message, spec


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("nowhere/missing.py:f", "no such file nowhere/missing.py"),
        ("nonsense", "unknown formula; expected one of blog, seed_notes, seed_notes_loss, seed_notes_hidden"),
        ("net221.derivation:no_such_function", "module net221.derivation has no function 'no_such_function'"),
        (
            "net221.app.gradcheck:PROG",
            "'PROG' in module net221.app.gradcheck is not a function (it is a str)",
        ),
        ("no_such_package_for_gradcheck.grads:f", "no module named 'no_such_package_for_gradcheck'"),
        (":f", "missing the file or module before ':'"),
        ("not a module:f", "'not a module' is neither a .py file nor a module name"),
    ],
)
def test_specs_that_name_nothing(spec: str, fragment: str) -> None:
    assert fragment in load_error(spec)


@pytest.mark.parametrize(
    ("suffix", "fragment"),
    [
        ("", "missing ':function' after the file name"),
        (":", "missing the function name after ':'"),
        (":2fast", "'2fast' after ':' is not a function name"),
        (":nothere", "has no function 'nothere'"),
    ],
)
def test_malformed_file_specs(suffix: str, fragment: str) -> None:
    message = load_error(f"{EXAMPLE}{suffix}")
    assert fragment in message
    if suffix == ":nothere":
        assert f"{EXAMPLE} has no function" in message


@pytest.mark.parametrize(
    ("source", "fragments"),
    [
        ("def f(**kw):\n    return {\n", ["cannot import", "broken.py", "SyntaxError", "line 2"]),
        (
            "import no_such_module_for_gradcheck\n",
            ["cannot import", "ModuleNotFoundError", "no_such_module_for_gradcheck"],
        ),
        ("raise RuntimeError('boom')\n", ["cannot import", "RuntimeError: boom"]),
        ("import sys\nsys.exit(3)\n", ["cannot import", "SystemExit: 3"]),
    ],
)
def test_files_that_cannot_be_imported(tmp_path: Path, source: str, fragments: list[str]) -> None:
    path = tmp_path / "broken.py"
    path.write_text(source)
    message = load_error(f"{path}:f")
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_a_file_can_import_the_modules_next_to_it(tmp_path: Path) -> None:
    (tmp_path / "helpers_for_gradcheck.py").write_text("SCALE = 1.0\n")
    path = tmp_path / "uses_helper.py"
    path.write_text(
        "from helpers_for_gradcheck import SCALE\n"
        "from net221.derivation import blog_partials\n\n\n"
        "def f(**kw):\n    return {k: SCALE * v for k, v in blog_partials(**kw).items()}\n"
    )
    assert compare(load_formula(f"{path}:f"), gradcheck_points(3, seed=0)).passed
    assert str(tmp_path) not in sys.path


WORKED = "at point 0 (the worked example: x1=-2, x2=-1, y_true=1)"
VALID = "d = {k: 0.5 for k in kw if k not in ('x1', 'x2', 'y_true')}"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("return 1 / 0", f"the function raised ZeroDivisionError: division by zero {WORKED}"),
        ("return [0.0] * 9", f"returned a list {WORKED}; expected a dict of the nine partials by blog name"),
        ("return None", f"returned a NoneType {WORKED}"),
        (f"{VALID}\ndel d['b3']\nreturn d", f"returned no value for b3 {WORKED}"),
        (
            f"{VALID}\nd['w7'] = 0.0\nreturn d",
            f"returned unknown name(s) w7 {WORKED}; expected exactly w1, w2",
        ),
        (f"{VALID}\nd['w2'] = 'abc'\nreturn d", f"returned 'abc' (str) for w2 {WORKED}; expected a number"),
        (f"{VALID}\nd['b1'] = True\nreturn d", "returned True (bool) for b1"),
        (f"{VALID}\nd['b2'] = math.nan\nreturn d", f"returned nan for b2 {WORKED}"),
        (f"{VALID}\nd['w6'] = -math.inf\nreturn d", f"returned -inf for w6 {WORKED}"),
    ],
)
def test_formulas_that_return_bad_values(tmp_path: Path, body: str, fragment: str) -> None:
    message, _ = evaluation_error(tmp_path, body)
    assert fragment in message, message


def test_a_bad_value_at_a_random_point_names_that_point(tmp_path: Path) -> None:
    points = gradcheck_points(10, seed=0)
    first_zero = next(i for i, p in enumerate(points) if p.y_true == 0.0)
    message, _ = evaluation_error(
        tmp_path, f"{VALID}\nif kw['y_true'] == 0:\n    d['w5'] = math.inf\nreturn d", 10
    )
    assert f"returned inf for w5 at point {first_zero} (random: x1=" in message


# --- config values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("points", -1, "points=-1: must be >= 0"),
        ("seed", -3, "seed=-3: must be >= 0"),
        ("step", 0.0, "step=0.0: must be a finite number > 0"),
        ("step", -1e-4, "step=-0.0001: must be a finite number > 0"),
        ("tolerance", 0.0, "tolerance=0.0: must be a finite number > 0"),
        ("fd_tolerance", -1.0, "fd_tolerance=-1.0: must be a finite number > 0"),
        ("abs_floor", 0.0, "abs_floor=0.0: must be a finite number > 0"),
        ("fd_abs_floor", math.inf, "fd_abs_floor=inf: must be a finite number > 0"),
        ("tolerance", math.nan, "tolerance=nan: must be a finite number > 0"),
        ("report", " ", "report=' ': needs a file name"),
    ],
)
def test_bad_config_values(key: str, value: object, message: str) -> None:
    cfg = OmegaConf.structured(GradcheckConfig)
    validate_gradcheck(cfg)  # the defaults are fine
    cfg[key] = value
    with pytest.raises(ConfigValueError) as info:
        validate_gradcheck(cfg)
    assert str(info.value) == message
