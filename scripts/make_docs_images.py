"""Regenerate the figures in docs/images/ from the current code, with the commands a user runs.

    python scripts/make_docs_images.py                  # all of them (about a minute on 2 cores)
    python scripts/make_docs_images.py report.png       # only this one
    python scripts/make_docs_images.py --list           # what each one is made from

Every figure is drawn by net221-train or net221-report in a temporary directory and
copied to docs/images/. The penguins figure needs the [penguins] extra.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
BIN = Path(sys.executable).parent

# (the commands, run in a fresh directory; {file they draw: image in docs/images})
RUNS: list[tuple[list[list[str]], dict[str, str]]] = [
    (
        [["net221-train", "hydra.run.dir=run"]],
        {"run/loss.png": "loss.png", "run/decision_boundary.png": "decision_boundary.png"},
    ),
    (
        [["net221-train", "experiment=penguins", "hydra.run.dir=run"]],
        {"run/decision_boundary.png": "penguins_decision_boundary.png"},
    ),
    (
        [
            [
                "net221-train",
                "-m",
                "optimizer.lr=0.01,0.1,1.0",
                "trainer.seed=0,1,2",
                "hydra.sweep.dir=sweep",
            ],
            ["net221-report", "sweep"],
        ],
        {"sweep/report.png": "report.png"},
    ),
    (
        [
            ["net221-train", "experiment=optimizer_comparison", "hydra.sweep.dir=sweep"],
            ["net221-report", "sweep"],
        ],
        {"sweep/report.png": "report_optimizers.png"},
    ),
    (
        [["net221-train", "experiment=seed_study", "hydra.run.dir=run"]],
        {"run/loss.png": "seed_study.png"},
    ),
    (
        [
            [
                "net221-train",
                "-m",
                "optimizer.lr=0.01,0.1,1,10",
                "experiment=seed_study",
                "hydra.sweep.dir=sweep",
            ],
            ["net221-report", "sweep"],
        ],
        {"sweep/report.png": "seed_study_lr.png"},
    ),
]


def shown(commands: list[list[str]]) -> str:
    return " && ".join(" ".join(words) for words in commands)


def make(commands: list[list[str]], images: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory(prefix="net221-docs-") as work:
        for words in commands:
            result = subprocess.run(
                [str(BIN / words[0]), *words[1:]], cwd=work, capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                raise SystemExit(f"{' '.join(words)} failed:\n{result.stderr or result.stdout}")
        for drawn, name in images.items():
            shutil.copyfile(Path(work) / drawn, IMAGES / name)
            print(f"docs/images/{name}: {drawn} of {shown(commands)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Regenerate docs/images/ from the current code.")
    parser.add_argument("names", nargs="*", help="only these images (default: all)")
    parser.add_argument("--list", action="store_true", help="print what each image is made from")
    args = parser.parse_args(argv)
    known = {name for _, images in RUNS for name in images.values()}
    unknown = sorted(set(args.names) - known)
    if unknown:
        parser.error(f"no such image: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    for commands, images in RUNS:
        if args.names and not set(images.values()) & set(args.names):
            continue
        if args.list:
            for drawn, name in images.items():
                print(f"{name}: {drawn} of {shown(commands)}")
            continue
        IMAGES.mkdir(parents=True, exist_ok=True)
        make(commands, images)


if __name__ == "__main__":
    main()
