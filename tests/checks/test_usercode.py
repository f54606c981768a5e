"""Formulas that cannot be loaded, return odd things, never return, or change torch's state."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from net221.checks.formula import FormulaInterrupted, load_formula
from net221.checks.gradcheck import check
from net221.checks.usercode import CallError, run_calls
from net221.derivation import blog_partials
from net221.errors import FormulaError

EXAMPLE = Path(__file__).resolve().parents[2] / "scripts" / "my_partials.py"
WORKED = "at point 0 (the worked example: x1=-2, x2=-1, y_true=1)"


def load_error(spec: str) -> str:
    with pytest.raises(FormulaError) as info:
        check(spec, points=0)  # someone's file or module is imported in the check's child process
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"formula={spec}: "), message
    return message


# --- loading ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("nowhere/missing.py:f", "no such file nowhere/missing.py"),
        ("nonsense", "unknown formula; expected one of blog, seed_notes, seed_notes_loss, seed_notes_hidden"),
        ("net221.derivation:no_such_function", "module net221.derivation has no function 'no_such_function'"),
        (
            "net221.checks.gradcheck:SAMPLING",
            "'SAMPLING' in module net221.checks.gradcheck is not a function (it is a dict)",
        ),
        ("no_such_package_for_gradcheck.grads:f", "no module named 'no_such_package_for_gradcheck'"),
        (":f", "missing the file or module before ':'"),
        ("not a module:f", "'not a module' is neither a .py file nor a module name"),
        (f"{EXAMPLE}", "missing ':function' after the file name"),
        (f"{EXAMPLE}:", "missing the function name after ':'"),
        # the name is checked before the file: a name too long to look up still gets this line
        (f"{'a' * 300}.py:", "missing the function name after ':'"),
        (f"{EXAMPLE}:2fast", "'2fast' after ':' is not a function name"),
        (f"{EXAMPLE}:nothere", f"{EXAMPLE} has no function 'nothere'"),
    ],
)
def test_specs_that_name_nothing(spec: str, fragment: str) -> None:
    assert fragment in load_error(spec)


@pytest.mark.parametrize(
    ("source", "fragments"),
    [
        ("def f(**kw):\n    return {\n", ["importing", "broken.py raised SyntaxError", "line 2"]),
        (
            "import no_such_module_for_gradcheck\n",
            ["importing", "broken.py raised ModuleNotFoundError", "no_such_module_for"],
        ),
        ("raise RuntimeError('boom')\n", ["importing", "broken.py raised RuntimeError: boom"]),
        ("import sys\nsys.exit(3)\n", ["importing", "broken.py raised SystemExit: 3"]),
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
    assert check(f"{path}:f", points=3).passed
    assert str(tmp_path) not in sys.path


def test_builtin_and_module_specs_find_the_same_function() -> None:
    assert load_formula("blog").function is blog_partials
    by_module = check("net221.derivation:blog_partials", points=3)
    np.testing.assert_array_equal(by_module.formula_values, check("blog", points=3).formula_values)


# --- what a formula returns ----------------------------------------------------------------


class ReadOnly(Mapping[str, float]):
    """A Mapping that is not a dict."""

    def __init__(self, values: dict[str, float], broken: bool = False) -> None:
        self.values, self.broken = values, broken

    def __getitem__(self, key: str) -> float:
        if self.broken:
            raise LookupError("no values today")
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def partials(**kw: Any) -> dict[str, Any]:
    return dict(blog_partials(**kw))


def generator_formula(**kw: Any) -> Iterator[float]:
    yield from blog_partials(**kw).values()


def with_value(name: str, value: Any) -> Callable[..., object]:
    return lambda **kw: {**partials(**kw), name: value}


ACCEPTED: dict[str, Callable[..., object]] = {
    "a Mapping that is not a dict": lambda **kw: ReadOnly(partials(**kw)),
    "numpy float64": lambda **kw: {k: np.float64(v) for k, v in partials(**kw).items()},
    "numpy float32 (rounded, fails the tolerance)": lambda **kw: {
        k: np.float32(v) for k, v in partials(**kw).items()
    },
    "an int where the partial is 0": lambda **kw: (
        {**partials(**kw), "w3": 0} if kw["x1"] == 0 else partials(**kw)
    ),
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_odd_but_usable_results(name: str) -> None:
    result = check(ACCEPTED[name], points=3)
    assert result.passed is ("float32" not in name), result.summary


BROKEN: list[tuple[Callable[..., object], str]] = [
    (lambda **kw: 1 / 0, f"the function raised ZeroDivisionError: division by zero {WORKED} in "),
    (lambda **kw: [0.0] * 9, f"returned a list {WORKED}; expected a dict of the nine partials by blog name"),
    (lambda **kw: None, f"returned None {WORKED}; expected a dict"),
    (lambda **kw: "w1=0.5", f"returned a str {WORKED}; expected a dict"),
    (lambda **kw: (v for v in partials(**kw).values()), f"returned a generator {WORKED}"),
    (generator_formula, f"returned a generator {WORKED}"),
    (
        lambda **kw: ReadOnly(partials(**kw), broken=True),
        "returned a ReadOnly that cannot be read (LookupError",
    ),
    (
        lambda **kw: {k: v for k, v in partials(**kw).items() if k != "b3"},
        f"returned no value for b3 {WORKED}",
    ),
    (
        lambda **kw: {**partials(**kw), "w7": 0.0},
        f"returned unknown name(s) w7 {WORKED}; expected exactly w1, w2",
    ),
    (with_value("w2", "0.5"), f"returned '0.5' (str) for w2 {WORKED}; expected a real number"),
    (with_value("b1", True), "returned True (bool) for b1"),
    (with_value("b2", None), "returned None (NoneType) for b2"),
    (with_value("w5", 1j), "returned 1j (complex) for w5"),
    (
        with_value("w6", np.array([0.5, 0.5])),
        f"returned array([0.5, 0.5]) (ndarray) for w6 {WORKED}; expected a real number",
    ),
    (with_value("b3", torch.tensor(0.5)), f"(Tensor) for b3 {WORKED}; expected a real number"),
]


def test_one_element_arrays_are_read_as_their_number_as_compare_reads_them() -> None:
    def as_arrays(**kw: float) -> dict[str, object]:
        return {name: np.array([value]) for name, value in partials(**kw).items()}

    assert check(as_arrays, points=2).passed


@pytest.mark.parametrize(("formula", "fragment"), BROKEN)
def test_results_that_are_not_the_nine_partials(formula: Callable[..., object], fragment: str) -> None:
    with pytest.raises(FormulaError) as info:
        check(formula, points=2)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"formula={__name__}:"), message
    assert fragment in message, message


def test_an_error_names_the_line_in_the_users_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text("def helper(x):\n    return 1 / x\n\n\ndef f(**kw):\n    return helper(kw['b1'])\n")
    with pytest.raises(FormulaError) as info:
        check(f"{path}:f", points=0)
    # the deepest line in the formula's own file
    assert str(info.value).endswith(f"raised ZeroDivisionError: float division by zero {WORKED} in {path}:2")


def test_a_problem_at_a_random_point_names_that_point() -> None:
    def fails_for_label_0(**kw: Any) -> object:
        return partials(**kw) if kw["y_true"] else None

    result = check("blog", points=10)
    first = next(i for i, p in enumerate(result.points) if p.y_true == 0.0)
    with pytest.raises(FormulaError, match=rf"returned None at point {first} \(random: x1=-?\d"):
        check(fails_for_label_0, points=10)


def test_system_exit_from_a_formula_is_an_error() -> None:
    def leaves(**kw: Any) -> object:
        raise SystemExit(3)

    with pytest.raises(FormulaError, match=re.escape(f"raised SystemExit: 3 {WORKED}")):
        check(leaves, points=0)


@pytest.mark.parametrize("how", ["raised", "Ctrl-C"])
def test_keyboard_interrupt_in_a_formula_says_where(how: str) -> None:
    def interrupted(**kw: Any) -> object:
        if kw["y_true"] == 0:
            if how == "raised":
                raise KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGINT)  # as a terminal's Ctrl-C does
            time.sleep(10)
        return partials(**kw)

    with pytest.raises(FormulaInterrupted) as info:
        check(interrupted, points=5)
    assert isinstance(info.value, KeyboardInterrupt)
    assert str(info.value).startswith(f"interrupted in formula={__name__}:")
    assert " at point 2 (random: " in str(info.value)


# --- formulas that never return ------------------------------------------------------------


def spins(**kw: Any) -> object:
    while True:
        pass


def sleeps(**kw: Any) -> object:
    time.sleep(1e9)


def swallows_exceptions(**kw: Any) -> object:
    while True:
        with contextlib.suppress(Exception):
            time.sleep(1e9)


def catches_it_once(**kw: Any) -> object:
    try:
        while True:
            pass
    except BaseException:
        return partials(**kw)


@pytest.mark.parametrize("formula", [spins, sleeps, swallows_exceptions])
def test_a_formula_that_never_returns_is_stopped(formula: Callable[..., object]) -> None:
    handler = signal.getsignal(signal.SIGALRM)
    with pytest.raises(FormulaError) as info:
        check(formula, points=1, timeout=0.2)
    message = str(info.value)
    assert f"did not return within timeout=0.2 s {WORKED}; stopped in " in message
    # stopped where it was: a line of the function
    line = int(message.rpartition(":")[2])
    assert message.endswith(f"test_usercode.py:{line}")
    assert formula.__code__.co_firstlineno < line <= formula.__code__.co_firstlineno + 4
    # nothing left behind: the timer is off and the signal handler is the one before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == handler


def test_a_formula_that_catches_the_time_limit_and_returns_is_still_too_late() -> None:
    with pytest.raises(FormulaError, match=re.escape(f"did not return within timeout=0.2 s {WORKED}")):
        check(catches_it_once, points=1, timeout=0.2)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_check_outside_the_main_thread_still_has_a_time_limit() -> None:
    caught: list[BaseException] = []

    def in_thread() -> None:
        try:
            check(sleeps, points=0, timeout=0.2)
        except BaseException as exc:
            caught.append(exc)

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join(10)
    assert not worker.is_alive()
    assert isinstance(caught[0], FormulaError)
    assert f"did not return within timeout=0.2 s {WORKED}" in str(caught[0])


def test_timeout_none_means_no_limit() -> None:
    def slow(**kw: Any) -> object:
        time.sleep(0.05)
        return partials(**kw)

    assert check(slow, points=0, timeout=None).passed
    with pytest.raises(FormulaError, match=re.escape("did not return within timeout=0.01 s")):
        check(slow, points=0, timeout=0.01)


# --- the child process ------------------------------------------------------------------------


def test_calls_in_a_child_give_results_and_output_in_order() -> None:
    def noisy() -> int:
        print("to stdout")
        print("to stderr", file=sys.stderr)
        return 42

    assert run_calls([("noisy", noisy), ("quiet", lambda: None)], 5) == [
        (42, "to stdout\nto stderr\n"),
        (None, ""),
    ]
    with pytest.raises(CallError, match=r"^quiet raised ZeroDivisionError: division by zero$"):
        run_calls([("quiet", lambda: 1 / 0), ("never", lambda: None)], 5)
    assert multiprocessing.active_children() == []


def test_code_that_ends_the_process_is_reported() -> None:
    with pytest.raises(CallError, match=r"^leaves ended the process \(exit status 3\)$"):
        run_calls([("leaves", lambda: os._exit(3))], 5)


def test_what_the_code_changes_stays_in_the_child() -> None:
    def meddle() -> str:
        sys.path.insert(0, "/nowhere")
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        return "done"

    handler = signal.getsignal(signal.SIGTERM)
    assert run_calls([("meddle", meddle)], None) == [("done", "")]
    assert "/nowhere" not in sys.path and signal.getsignal(signal.SIGTERM) == handler


# --- torch's global state -------------------------------------------------------------------


def meddles(**kw: Any) -> object:
    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(False)
    torch.set_num_threads(3)
    torch.manual_seed(123)
    return partials(**kw)


def test_a_formula_cannot_change_torchs_global_state() -> None:
    before = (
        torch.is_grad_enabled(),
        torch.get_default_dtype(),
        torch.get_num_threads(),
        torch.get_rng_state(),
    )
    clean = check(partials, points=10)
    meddled = check(meddles, points=10)
    np.testing.assert_array_equal(meddled.autograd, clean.autograd)
    np.testing.assert_array_equal(meddled.finite_difference, clean.finite_difference)
    assert meddled.passed and meddled.table.replace("meddles", "partials") == clean.table
    after = (
        torch.is_grad_enabled(),
        torch.get_default_dtype(),
        torch.get_num_threads(),
        torch.get_rng_state(),
    )
    assert after[:3] == before[:3] and torch.equal(after[3], before[3])


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("import os\nos._exit(0)\n", "ended the process (exit status 0)"),
        ("import time\ntime.sleep(1e9)\n", "did not return within timeout=0.2 s; stopped in {path}:2"),
    ],
)
def test_a_files_top_level_code_runs_in_the_child_within_the_time_limit(
    tmp_path: Path, source: str, problem: str
) -> None:
    path = tmp_path / "top.py"
    path.write_text(source + "\n\ndef f(**kw):\n    return {}\n")
    with pytest.raises(FormulaError) as info:
        check(f"{path}:f", points=0, timeout=0.2)
    assert str(info.value) == f"formula={path}:f: importing {path} {problem.format(path=path)}"


def test_a_files_top_level_code_leaves_this_process_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "moves.py"
    path.write_text("import os\n\nfrom net221.derivation import blog_partials as f\n\nos.chdir('/')\n")
    here = Path.cwd()
    assert check(f"{path}:f", points=2).passed
    assert Path.cwd() == here and "_net221_user_moves" not in sys.modules


def test_a_number_too_large_for_a_float_is_a_wrong_result_not_an_error_of_the_formula() -> None:
    # as far as a float goes, as net221-compare reads it: a failing partial, not bad input
    result = check(with_value("w1", 10**400), points=0)
    assert not result.passed and result.failed == ["w1"]
    assert (
        result.diagnosis is not None
        and result.diagnosis.cause == "your formula returned dL/dw1 = inf at #0 (-2, -1, 1)"
    )


def test_a_file_name_too_long_to_look_up_is_named_as_one_that_cannot_be_read() -> None:
    name = f"{'a' * 300}.py"
    assert load_error(f"{name}:f") == f"formula={name}:f: cannot read {name}: File name too long"
