"""net221-gradcheck, the command: in-process runs of its main(), and two end-to-end smoke tests."""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hydra import compose, initialize_config_module

import net221
from net221.app import gradcheck as app
from net221.checks.formula import BUILTIN_FORMULAS
from net221.checks.gradcheck import Settings
from net221.errors import ConfigValueError, FormulaError
from net221.init import BLOG_NAMES

from conftest import BIN, WORKED_GRADIENTS, assert_one_line_error, run_cli

PROG = "net221-gradcheck"
HIDDEN = ["w1", "w2", "w3", "w4", "b1", "b2"]
WORKED = "at point 0 (the worked example: x1=-2, x2=-1, y_true=1)"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def gradcheck(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Iterator[Run]:
    """Run the command's main() in this process: (exit status, stdout, stderr), outputs in tmp_path/run."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")  # main() sets it; restored afterwards
    monkeypatch.delenv("NET221_TRACEBACK", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def run(*args: str, multirun: bool = False) -> tuple[int, str, str]:
        where = f"hydra.sweep.dir={tmp_path / 'run'}" if multirun else f"hydra.run.dir={tmp_path / 'run'}"
        monkeypatch.setattr(sys, "argv", [PROG, *(["-m"] if multirun else []), where, *args])
        try:
            app.main()
            status = 0
        except SystemExit as exit:
            status = int(exit.code or 0)
        out, err = capsys.readouterr()
        return status, out, err

    yield run
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:], root.level = handlers, level


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


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# --- in-process -----------------------------------------------------------------------------


def test_one_point_is_counted_in_the_singular(gradcheck: Run) -> None:
    status, out, _ = gradcheck("points=0")  # the worked example alone
    assert status == 0
    assert "worst over 1 point (#k" in out and "PASS: blog agrees on all 9 partials at 1 point (" in out
    assert "1 points" not in out


def test_the_blog_passes_and_the_report_has_every_point(gradcheck: Run, tmp_path: Path) -> None:
    status, out, err = gradcheck("points=20")
    assert (status, err) == (0, "")
    assert table_verdicts(out) == dict.fromkeys(BLOG_NAMES, "PASS")
    assert "at the worked example" in out and "worst over 21 points" in out
    assert "PASS: blog agrees on all 9 partials at 21 points" in out
    data = read_report(tmp_path)
    assert data["formula"] == "blog" and data["source"] == "net221.derivation:blog_partials"
    assert data["passed"] is True and data["failed"] == []
    assert [p["kind"] for p in data["points"]] == ["worked_example"] + ["random"] * 20
    example = data["points"][0]
    assert (example["x1"], example["x2"], example["y_true"]) == (-2.0, -1.0, 1.0)
    for name in BLOG_NAMES:
        for witness in ("formula", "autograd", "finite_difference"):
            assert example[witness][name] == pytest.approx(WORKED_GRADIENTS[name], abs=1e-8)
        assert data["parameters"][name]["pass"] is True


def test_disagreeing_formulas_exit_1(gradcheck: Run, tmp_path: Path) -> None:
    status, out, err = gradcheck("formula=seed_notes", "points=20")
    assert status == 1 and "Traceback" not in err
    assert table_verdicts(out) == dict.fromkeys(BLOG_NAMES, "FAIL")
    assert "FAIL: no usual mistake explains your dL/dw1, dL/dw2," in out  # the diagnosis leads
    assert "; seed_notes disagrees on 9 of 9 partials: w1, w2, w3, w4, w5, w6, b1, b2, b3" in out
    data = read_report(tmp_path)
    assert data["failed"] == list(BLOG_NAMES)
    # the notes drop w3 and w4 from the hidden neurons: their partials are 0
    assert data["points"][0]["formula"]["w3"] == 0.0
    assert data["points"][0]["autograd"]["w3"] == pytest.approx(WORKED_GRADIENTS["w3"], abs=1e-10)


def test_the_hidden_layer_mistake_disagrees_on_six_partials(gradcheck: Run) -> None:
    status, out, err = gradcheck("formula=seed_notes_hidden", "points=5")
    assert status == 1 and "Traceback" not in err
    assert "; seed_notes_hidden disagrees on 6 of 9 partials: w1, w2, w3, w4, b1, b2" in out


def test_a_sweep_runs_every_job_and_exits_1_when_one_fails(gradcheck: Run, tmp_path: Path) -> None:
    status, _, err = gradcheck("formula=blog,seed_notes_hidden", "points=5", multirun=True)
    assert status == 1 and "Traceback" not in err
    assert read_report(tmp_path, "0")["passed"] is True
    assert read_report(tmp_path, "1")["failed"] == HIDDEN


@pytest.mark.parametrize(
    ("args", "contents", "fragment"),
    [
        (["formula=missing.py:f"], None, "formula=missing.py:f: no such file missing.py"),
        (
            ["formula=bad.py:f"],
            "def f(**kw):\n    return {\n",
            "formula=bad.py:f: importing bad.py raised SyntaxError",
        ),
        (
            ["formula=bad.py:f"],
            "def f(**kw):\n    return None\n",
            f"formula=bad.py:f: returned None {WORKED}",
        ),
        (
            ["formula=bad.py:f", "timeout=0.2"],
            "def f(**kw):\n    while True: pass\n",  # the loop on one line: stopped on line 2
            f"formula=bad.py:f: did not return within timeout=0.2 s {WORKED}; stopped in bad.py:2",
        ),
        (["points=abc"], None, "points"),
        (["no_such_key=1"], None, "no_such_key"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    gradcheck: Run, tmp_path: Path, args: list[str], contents: str | None, fragment: str
) -> None:
    if contents is not None:
        (tmp_path / "bad.py").write_text(contents)
    status, _, err = gradcheck(*args)
    assert status == 2, err
    line = one_line(err)
    assert line.startswith(f"{PROG}: error: ") and fragment in line, line


# Values of the right type that the check cannot use: refused by `settings` with a one-line
# ConfigValueError, which main() prints as its line like the FormulaErrors above.
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("points=-1", "points=-1: must be an integer >= 0"),
        ("timeout=0", "timeout=0.0: must be a finite number > 0"),
        ("report= ", "report='': needs a file name"),
    ],
)
def test_bad_config_values(override: str, message: str) -> None:
    app.register_schema()
    with initialize_config_module(config_module="net221.configs", version_base="1.3"):
        cfg = compose(config_name="gradcheck", overrides=[override])
    with pytest.raises(ConfigValueError) as error:
        app.settings(cfg)
    assert "\n" not in str(error.value) and message in str(error.value), str(error.value)


def test_ctrl_c_is_one_line_and_exit_130(
    gradcheck: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "slow.py").write_text(
        "import os, signal, time\n\n\ndef f(**kw):\n    os.kill(os.getpid(), signal.SIGINT)\n    time.sleep(10)\n"
    )
    status, _, err = gradcheck("formula=slow.py:f")
    assert status == 130
    assert one_line(err) == f"{PROG}: interrupted in formula=slow.py:f {WORKED}"

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(app, "compare", interrupted)  # Ctrl-C outside the formula
    status, _, err = gradcheck()
    assert (status, one_line(err)) == (130, f"{PROG}: interrupted")


def test_net221_traceback_shows_the_line_in_the_users_file(
    gradcheck: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine.py").write_text("def f(**kw):\n    return {'w1': 1 / kw['b1']}\n")
    monkeypatch.setenv("NET221_TRACEBACK", "1")
    with pytest.raises(FormulaError) as info:
        gradcheck("formula=mine.py:f")
    text = "".join(traceback.format_exception(info.value))
    assert f'File "{tmp_path / "mine.py"}", line 2, in f' in text
    assert "return {'w1': 1 / kw['b1']}" in text


def test_help_says_what_it_does_and_lists_its_options_and_formulas(gradcheck: Run) -> None:
    # one call (each renders Hydra's help, half a second): the option given shows its value, the
    # others their defaults (which are the library's: test_the_schemas_defaults_are_the_librarys)
    status, out, _ = gradcheck("points=7", "--help")
    assert status == 0
    assert out.startswith(f"{PROG}: check a hand-written formula for the nine partials")
    assert f"{PROG} formula=scripts/my_partials.py:my_partials points=1000" in out
    options = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ") and "[" in line}
    defaults = dataclasses.asdict(Settings())
    assert set(options) == {"formula", "report", *defaults}
    assert defaults["points"] != 7 and out.count("[7]") == 1  # the value in effect, not the default
    for key, value in (defaults | {"points": 7}).items():
        assert options[key].endswith(f"[{value}]"), options[key]
    assert options["formula"].endswith("[blog]")
    for name in BUILTIN_FORMULAS:
        assert f"\n  {name} " in out
    # not the training command's config groups
    assert "optimizer" not in out and "Configuration groups" not in out


def test_version(gradcheck: Run) -> None:
    assert gradcheck("--version") == (0, f"net221 {net221.__version__}\n", "")


def test_the_schemas_defaults_are_the_librarys() -> None:
    app.register_schema()
    with initialize_config_module(config_module="net221.configs", version_base="1.3"):
        cfg = compose(config_name="gradcheck")
    assert app.settings(cfg) == Settings()
    assert (cfg.formula, cfg.report) == ("blog", "gradcheck.json")


# --- the console script, end to end -------------------------------------------------------


def test_script_passes(tmp_path: Path) -> None:
    result = run_cli(PROG, "points=5", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "PASS: blog agrees on all 9 partials at 6 points" in result.stdout
    assert read_report(tmp_path)["passed"] is True


def test_script_bad_input(tmp_path: Path) -> None:
    result = run_cli(PROG, "formula=nowhere.py:f", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert_one_line_error(result, PROG, "formula=nowhere.py:f: no such file nowhere.py")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("points=100000000000", "points=100000000000: must be at most 100,000"),
        # faulthandler's timer overflows near 1e10 s: refused here, not blamed on the formula's child
        ("timeout=1e300", "timeout=1e+300: must be at most 1,000,000"),
    ],
)
def test_sizes_beyond_their_bounds(override: str, message: str) -> None:
    app.register_schema()
    with initialize_config_module(config_module="net221.configs", version_base="1.3"):
        cfg = compose(config_name="gradcheck", overrides=[override])
    with pytest.raises(ConfigValueError) as error:
        app.settings(cfg)
    assert str(error.value) == message


def test_a_report_that_cannot_be_written_leaves_the_last_one_whole_and_names_the_file(
    gradcheck: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "gradcheck.json").write_text('{"passed": true}\n')
    write_text = Path.write_text

    def disk_full(path: Path, data: str, *args: Any, **kwargs: Any) -> int:
        write_text(path, data[: len(data) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    status, _, err = gradcheck("points=1")
    assert status == 2
    report = tmp_path / "run" / "gradcheck.json"
    assert one_line(err) == f"{PROG}: error: cannot write {report}: No space left on device"
    assert report.read_text() == '{"passed": true}\n'


def test_sigterm_ends_the_formulas_child_too_with_one_line_and_status_143(tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(
        "import os\nimport time\n\n\ndef f(**kw):\n"
        "    open('child.pid', 'w').write(str(os.getpid()))\n    time.sleep(100)\n"
    )
    command = [str(BIN / PROG), "formula=slow.py:f", "timeout=null", f"hydra.run.dir={tmp_path / 'run'}"]
    pid_file, stderr = tmp_path / "child.pid", tmp_path / "stderr.txt"
    with stderr.open("w") as err_file:  # a file, not a pipe: a child left running would hold a pipe open
        proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err_file)
    for _ in range(600):  # until the formula has started: its child is running
        if pid_file.is_file() and pid_file.read_text():
            break
        time.sleep(0.1)
    child = int(pid_file.read_text())
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    err = stderr.read_text()
    try:
        os.kill(child, 0)
    except ProcessLookupError:
        pass
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the formula's child process outlived the command")
    assert proc.returncode == 143
    assert one_line(err).startswith(f"{PROG}: interrupted")  # where: in the formula, or in the witnesses
