"""Shared fixtures and helpers: the blog's data, running the apps in and out of process.

torch, Hydra and net221 are imported where they are used: under `pytest -n`, the process that
hands out the tests loads this file too and runs none of them (2 s of CPU saved there).
"""

from __future__ import annotations

import copy
import functools
import gc
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import numpy as np
    import torch
    from omegaconf import DictConfig

    from net221.network import Net221


@pytest.fixture(scope="session", autouse=True)
def one_thread() -> None:
    """Tiny tensors: intra-op threads only cost time, and a busy machine makes them cost more."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session", autouse=True)
def fewer_collections() -> None:
    """What the test modules imported (torch, Hydra, net221: some 200,000 objects) lives as long
    as the process. Frozen (gc.freeze, as net221's commands do at exit), it is left out of the
    collector's full passes, which otherwise walk it again and again (0.1 s each). And Hydra and
    OmegaConf make hundreds of thousands of short-lived objects a test: a young pass every 10,000
    new objects, not 700, leaves them fewer passes (the collector took 11 s of the suite's CPU
    with the freeze alone, 7 s with both)."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


# A shell starts a background job (`pytest ... &`) with SIGINT ignored, and a child inherits that.
# The commands keep an ignored SIGINT ignored (the user's shell chose it), so the Ctrl-C tests,
# here and in the children, need it back at Python's default: a KeyboardInterrupt.
signal.signal(signal.SIGINT, signal.default_int_handler)

# For runs whose figures a test does not look at: drawing them takes about 0.1 s a run (twice
# that under coverage), the training itself often less.
NO_FIGURES = "trainer.figures=false"

# The blog's worked example: every weight 1, every bias 0.
ALL_ONES = {"w1": 1.0, "w2": 1.0, "w3": 1.0, "w4": 1.0, "w5": 1.0, "w6": 1.0, "b1": 0.0, "b2": 0.0, "b3": 0.0}
# ... and dL/dθ there for Alice (x = [-2, -1], female), to 10 decimals.
WORKED_GRADIENTS = {
    "w1": 0.0214695353,
    "w2": 0.0107347676,
    "w3": 0.0214695353,
    "w4": 0.0107347676,
    "w5": -0.0112692202,
    "w6": -0.0112692202,
    "b1": -0.0107347676,
    "b2": -0.0107347676,
    "b3": -0.2376175595,
}


def network_from(values: dict[str, float] | np.ndarray, dtype: torch.dtype | None = None) -> Net221:
    """A blog-shaped Net221 set from blog names or from a flat vector (net221.init's layout), in
    float64 unless `dtype` says otherwise."""
    import numpy as np
    import torch

    from net221.network import Net221

    model = Net221(dtype=torch.float64 if dtype is None else dtype)
    if isinstance(values, dict):
        model.set_blog_parameters(values)
    else:
        model.load_flat(np.asarray(values).reshape(-1))
    return model


@pytest.fixture
def blog_inputs() -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    from net221.data import BLOG_SHIFT, blog_dataset

    people = blog_dataset()
    return people.features - np.array(BLOG_SHIFT), people.labels


@pytest.fixture
def blog_tensors(blog_inputs: tuple[np.ndarray, np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    x, y = blog_inputs
    return torch.from_numpy(x), torch.from_numpy(y).reshape(-1, 1)


# --- running the apps ---------------------------------------------------------------

BIN = Path(sys.executable).parent


def run_cli(command: str, *args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run an installed console script (net221-train, ...) the way a user would."""
    return subprocess.run(
        [str(BIN / command), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@functools.cache
def console_script(command: str) -> Callable[[], object]:
    """The function an installed console script calls (looked up once: the lookup reads every
    installed package's entry points, 5 ms)."""
    from importlib.metadata import entry_points

    (entry,) = entry_points(group="console_scripts", name=command)
    main: Callable[[], object] = entry.load()
    return main


def run_in_process(command: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A console script's main() in this process, as `run_cli` would run it (no new interpreter:
    about 3 s less per call). Output, exit status and the working directory are captured and restored."""
    import contextlib
    import io
    import logging
    import os

    from hydra.core.global_hydra import GlobalHydra

    main = console_script(command)
    GlobalHydra.instance().clear()
    out, err = io.StringIO(), io.StringIO()
    argv, here = sys.argv, Path.cwd()
    status = 0
    try:
        sys.argv = [command, *args]
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exit_:
                status = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    finally:
        sys.argv = argv
        os.chdir(here)
        GlobalHydra.instance().clear()
        for handler in logging.getLogger().handlers[:]:  # Hydra's handlers write to the captured streams
            handler.close()
            logging.getLogger().removeHandler(handler)
    return subprocess.CompletedProcess([command, *args], status, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def blog_command(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`net221-train` with no arguments in an empty directory, its main() in this process: what it
    printed, and its run directory (outputs/DATE/TIME). Run once per test process (1000 epochs
    and two figures); the tests that use it only read it."""
    here = tmp_path_factory.mktemp("blog")
    result = run_in_process("net221-train", cwd=here)
    assert result.returncode == 0, result.stderr
    (run_dir,) = (path.parent for path in here.glob("outputs/*/*/summary.json"))
    return result, run_dir


def assert_one_line_error(result: subprocess.CompletedProcess[str], prog: str, *fragments: str) -> None:
    """Bad input: exit status 2, one line on stderr naming what is wrong, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def assert_help_begins(result: subprocess.CompletedProcess[str], begins: str, example: str) -> None:
    """A command's --help: what it does first, an example near the top (before any list of
    options), and none of Hydra's own help."""
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(begins), result.stdout[:200]
    assert example in result.stdout[:1200]
    assert "powered by Hydra" not in result.stdout and "Layer: app" not in result.stdout


def compose_config(*overrides: str, config_name: str = "train") -> DictConfig:
    """The composed config, as the app would see it (compose API): a copy of its own, which the
    caller may change."""
    return copy.deepcopy(_composed(config_name, overrides))


@functools.cache
def _composed(config_name: str, overrides: tuple[str, ...]) -> DictConfig:
    # Hydra takes about 0.09 s of CPU to compose; a copy, 0.001 s. Several tests train the same
    # overrides (a reference run and its interrupted twin, the disk tests' run).
    from hydra import compose, initialize_config_module

    from net221.app.config import register_schemas

    register_schemas()
    with initialize_config_module(config_module="net221.configs", version_base="1.3"):
        return compose(config_name=config_name, overrides=list(overrides))


def train_in_process(output_dir: Path, *overrides: str) -> float:
    """net221-train's task, without a new process: for fast tests of the run directory."""
    from net221.app.train import run

    output_dir.mkdir(parents=True, exist_ok=True)
    return run(compose_config(*overrides), output_dir)
