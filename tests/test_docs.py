"""The samples in README.md and docs/*.md are run: their Python examples (```pycon blocks) as
doctests, and every console sample (a fenced block whose first line is `$ command`) as
commands whose output must match.

Each block's commands run in order in a working directory of its own holding the
repository's scripts/ and the data files below (a block that reads a run directory it does
not make gets a copy of the blog's run, trained once); net221's console scripts run
in-process, anything else (sed) in a shell. A block that appears on several pages runs once
and is compared with each. What a command prints is compared line by line with what the page shows:

- `...` on a line of its own stands for any number of lines;
- run directories (outputs/DATE/TIME, multirun/DATE/TIME) and Hydra's timestamps match
  any such; a run directory in a command is the latest one made with that file in it;
- rounding noise matches rounding noise: a number below 1e-12 (the last bits of a
  float64, which differ between CPUs), and on such a line the point (#k, random k)
  where it happened to be largest.

"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import shutil
import subprocess
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from conftest import run_in_process

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    path.relative_to(ROOT).as_posix(): path.read_text()
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
RUN_DIR = re.compile(r"\b(outputs|multirun)/\d{4}-\d{2}-\d{2}/\d{2}-\d{2}-\d{2}(?:_\d+)?")
HYDRA_TIME = re.compile(r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}\]")
NUMBER = re.compile(r"(?<![\w.=])-?(?:\d+\.?\d*(?:e[-+]?\d+)?)(?![\w.])")

# Files the samples' commands read.
FILES = {
    "people.csv": "name,weight,height,gender\nAlice,133,65,F\nBob,160,72,M\nCharlie,152,70,M\nDiana,120,tall,F\n",
    "visitors.csv": "name,weight,height,gender\nAlice,133,65,F\nBob,160,72,M\nSam,150,68,X\n",
    "newcomers.csv": "name,weight,height\nEmily,128,63\nFrank,155,68\nGrace,140,64\n",
}


def sample_lines(body: str) -> list[tuple[str, list[str]]]:
    """(command, the lines shown after it) for every `$ ` line of a console sample."""
    samples: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            samples.append((line[2:], []))
        elif samples:
            samples[-1][1].append(line)
    return samples


def console_blocks(text: str) -> list[list[tuple[str, list[str]]]]:
    """The samples of each fenced block that starts with a `$ ` line, block by block."""
    return [sample_lines(body) for _, body in FENCE.findall(text) if body.startswith("$ ")]


# Each block runs in a workspace of its own (so the blocks can run in parallel); one that
# reads a run directory it does not make gets a copy of the blog's run (`blog_command`).
Sample = tuple[str, list[str]]  # a command and the lines shown after it


def blocks_by_commands() -> dict[tuple[str, ...], list[tuple[str, list[Sample]]]]:
    """Every console block, keyed by its commands: (page, samples) for each page that shows it."""
    blocks: dict[tuple[str, ...], list[tuple[str, list[Sample]]]] = {}
    for page, text in PAGES.items():
        for samples in console_blocks(text):
            blocks.setdefault(tuple(command for command, _ in samples), []).append((page, samples))
    return blocks


BLOCKS = blocks_by_commands()
PYCON = [
    (page, body) for page, text in PAGES.items() for kind, body in FENCE.findall(text) if kind == "pycon"
]


def _noise(match: re.Match[str]) -> str:
    text = match.group()
    return "~0" if abs(float(text)) < 1e-12 else text


def normalized(line: str) -> str:
    line = HYDRA_TIME.sub("[TIME]", RUN_DIR.sub(r"\1/DATE/TIME", line.rstrip()))
    noiseless = NUMBER.sub(_noise, line)
    if noiseless == line:
        return line
    # a column of noise is as wide as its widest value: compare the words, not the spaces
    noiseless = re.sub(r"random \d+ \(", "random k (", re.sub(r"~0 +#\d+", "~0 #k", noiseless))
    return " ".join(noiseless.split())


def matches(expected: list[str], actual: list[str]) -> bool:
    """`...` matches any run of lines; every other line must be equal."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


class Workspace:
    """The working directory of the commands, and the run directories they made."""

    def __init__(self, path: Path) -> None:
        self.path = path
        shutil.copytree(ROOT / "scripts", path / "scripts")
        for name, content in FILES.items():
            (path / name).write_text(content)

    def latest(self, kind: str, holding: str) -> str | None:
        """The newest run (or sweep) directory made here, with `holding` in it if given."""
        made = [p for p in self.path.glob(f"{kind}/*/*") if (p / holding).exists()]
        newest = max(
            made, key=lambda p: (p.parent.name, *map(int, p.name.replace("-", "_").split("_"))), default=None
        )
        return None if newest is None else str(newest.relative_to(self.path))

    def command(self, text: str) -> str:
        """The command with each run directory it names replaced by the latest such directory."""

        def latest(match: re.Match[str]) -> str:
            rest = text[match.end() :]
            holding = rest[1:].split()[0].split("/")[0] if rest.startswith("/") else ""
            return self.latest(match.group(1), holding) or match.group()

        return RUN_DIR.sub(latest, text)

    def run(self, text: str) -> list[str]:
        command = self.command(text)
        words = shlex.split(command)
        if words[0].startswith("net221-"):
            result = run_in_process(words[0], *words[1:], cwd=self.path)
        else:
            result = subprocess.run(
                command, shell=True, cwd=self.path, capture_output=True, text=True, check=False
            )
        return (result.stdout + result.stderr).replace(f"{self.path}/", "").splitlines()


def check(workspace: Workspace, commands: tuple[str, ...], shown: list[tuple[str, list[Sample]]]) -> None:
    """Run the commands once; each page's block must show what they printed."""
    differ = []
    for n, command in enumerate(commands):
        printed = workspace.run(command)
        for page, samples in shown:
            if not matches(
                [normalized(line) for line in samples[n][1]], [normalized(line) for line in printed]
            ):
                differ += [f"{page}: $ {command}", "--- shown:", *samples[n][1], "--- printed:", *printed, ""]
    assert not differ, "\n".join(differ)


@pytest.mark.parametrize("page, block", PYCON, ids=[f"{page}-{n}" for n, (page, _) in enumerate(PYCON)])
def test_the_python_examples_run_as_shown(tmp_path: Path, page: str, block: str) -> None:
    test = doctest.DocTestParser().get_doctest(block, {}, page, str(ROOT / page), 0)
    output: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    here = Path.cwd()
    os.chdir(Workspace(tmp_path).path)  # the examples' files are found, and written, here
    try:
        runner.run(test, out=output.append)
    finally:
        os.chdir(here)
    assert runner.failures == 0, "".join(output)
    assert test.examples


def test_the_readme_has_a_python_example_and_the_console_samples_show_every_command() -> None:
    assert any(page == "README.md" for page, _ in PYCON)
    commands = {command.split()[0] for key in BLOCKS for command in key}
    scripts = {ep.name for ep in entry_points(group="console_scripts") if ep.name.startswith("net221-")}
    assert len(scripts) == 5 and scripts <= commands, scripts - commands


# The samples check what the pages show, not the code: every line they run is measured by the
# tests of that code. Traced, their 1000-epoch runs and sweeps would take twice as long.
@pytest.mark.no_cover
@pytest.mark.parametrize(
    "commands",
    list(BLOCKS),
    ids=[f"{shown[0][0]}-{n}-{commands[0].split()[0]}" for n, (commands, shown) in enumerate(BLOCKS.items())],
)
def test_the_console_samples_print_what_the_pages_show(
    tmp_path: Path, commands: tuple[str, ...], request: pytest.FixtureRequest
) -> None:
    workspace = Workspace(tmp_path)
    reads_a_run = any("outputs/" in command for command in commands)
    if reads_a_run and commands[0].split()[0] != "net221-train":  # the blog's run first
        _, run_dir = request.getfixturevalue("blog_command")  # conftest's: outputs/DATE/TIME
        shutil.copytree(run_dir.parents[1], workspace.path / "outputs")
    check(workspace, commands, BLOCKS[commands])


def test_rounding_noise_matches_rounding_noise() -> None:
    table = " w1       0.0214695353    0.0214695353   {} #{}    4.8e-16 #37    1.7e-08 #21   PASS"
    assert normalized(table.format("1.1e-16", 16)) == normalized(table.format("      0", 3))
    assert normalized(table.format("1.1e-16", 16)).endswith("1.7e-08 #21 PASS")  # not noise: kept
    forward = (
        " forward       random {} (worst of 100)    0.3055529623    0.3055529623        {}   3.1e-10   agree"
    )
    assert normalized(forward.format(9, "5.6e-17")) == normalized(forward.format(4, "      0"))
    assert normalized(forward.format(9, "5.6e-17")) != normalized(forward.format(9, "5.6e-09"))
    assert normalized("Epoch 990 loss: 0.002") == "Epoch 990 loss: 0.002"
    assert normalized("Report: outputs/2026-11-28/19-01-46_2/gradcheck.json") == (
        "Report: outputs/DATE/TIME/gradcheck.json"
    )


def test_elided_lines_and_exact_lines() -> None:
    assert not matches(["Emily: 0.949"], ["Emily: 0.948"])
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"]) and matches(["a", "...", "d"], ["a", "d"])
    assert not matches(["a", "...", "d"], ["a", "b"]) and not matches(["a"], ["a", "b"])


def test_the_test_files_the_pages_name_exist() -> None:
    named = {
        name for text in PAGES.values() for name in re.findall(r"`((?:tests/(?:\w+/)*)?test_\w+\.py)`", text)
    }
    present = {path.name for path in (ROOT / "tests").rglob("test_*.py")}
    missing = {name for name in named if not ((ROOT / name).is_file() if "/" in name else name in present)}
    assert named and not missing, missing
