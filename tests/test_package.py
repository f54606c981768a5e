"""The package as installed: one version everywhere, `python -m net221`, the public
names, and the data files that ship with it."""

from __future__ import annotations

import runpy
import subprocess
import sys
from importlib import metadata, resources

import pytest

import net221
from net221.__main__ import COMMANDS, main


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "net221", *args], capture_output=True, text=True, check=True, timeout=60
    )


def test_version_is_the_same_everywhere() -> None:
    result = run_module("--version")
    assert result.stdout == f"net221 {net221.__version__}\n"
    assert metadata.version("net221") == net221.__version__


def test_module_lists_every_entry_point() -> None:
    listing = run_module().stdout
    assert listing == run_module("--help").stdout
    lines = [line.strip() for line in listing.splitlines()]
    for command, summary in COMMANDS:
        assert any(line.startswith(command) and line.endswith(summary) for line in lines)
    # Every console script the distribution declares is among them.
    scripts = {
        ep.name for ep in metadata.distribution("net221").entry_points if ep.group == "console_scripts"
    }
    assert {
        "net221-train",
        "net221-predict",
        "net221-gradcheck",
        "net221-compare",
        "net221-report",
    } <= scripts
    assert scripts <= {command for command, _ in COMMANDS}
    assert "python -m net221.numpy_trainer" in listing


def test_module_imports_neither_torch_nor_hydra() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['net221', '--version']\n"
        "try:\n"
        "    runpy.run_module('net221', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('torch', 'hydra', 'omegaconf', 'numpy') if m in sys.modules)\n"
        "print('imported:', *heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.splitlines() == [f"net221 {net221.__version__}", "imported:"]


def test_predict_report_and_compare_load_torch_only_when_they_use_it() -> None:
    # predict needs torch for a prediction, compare for a class that uses it: not to start
    code = (
        "import sys, net221.app.predict, net221.app.report, net221.app.compare; print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout == "False\n"


# runpy notes that the test process imported the module already; running it again is the point
@pytest.mark.filterwarnings("ignore:.*found in sys.modules after import:RuntimeWarning")
@pytest.mark.parametrize("command", ["train", "predict", "gradcheck", "compare", "report"])
def test_python_dash_m_runs_each_command(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `python -m net221.app.<command>`, in this process: the module runs its command's main()
    monkeypatch.setattr(sys, "argv", [f"net221-{command}", "--version"])
    runpy.run_module(f"net221.app.{command}", run_name="__main__")
    assert capsys.readouterr().out == f"net221 {net221.__version__}\n"


def test_main_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    main([])
    assert "net221-train" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"net221 {net221.__version__}\n"


@pytest.mark.parametrize("name", net221.__all__)
def test_public_name_resolves(name: str) -> None:
    assert getattr(net221, name) is not None


def test_public_names() -> None:
    assert dir(net221) == sorted(net221.__all__)
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = net221.no_such_name


def test_data_files_ship_with_the_package() -> None:
    assert resources.files("net221").joinpath("py.typed").is_file()
    configs = resources.files("net221.configs")
    assert configs.joinpath("train.yaml").is_file()
    assert configs.joinpath("experiment", "blog.yaml").is_file()


def test_a_command_leaves_the_collector_frozen_for_the_exit() -> None:
    # The interpreter's last collections would walk all of torch's objects (about 0.7 s a
    # process); run_app freezes them once every atexit handler registered after it has run.
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('at exit:', gc.get_freeze_count() > 0))\n"
        "from net221.app.process import run_app\n"
        "sys.argv = ['net221-x']\n"
        "run_app(lambda: print('during:', gc.get_freeze_count() > 0), 'net221-x')\n"
        "print('after:', gc.get_freeze_count() > 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["during: False", "after: False", "at exit: True"]
