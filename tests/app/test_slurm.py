"""net221-train's submitit_slurm launcher on a real SLURM cluster: a sweep as a job
array, an ensemble job, and a job that is preempted and resumes from its checkpoint.

`make slurm-up` starts a single-node cluster on this machine (scripts/slurm_cluster.sh)
and `make test-slurm` runs these tests; plain pytest leaves them out (-m 'not slurm').
Without a cluster that answers sinfo they are skipped, saying why; with
NET221_SLURM_REQUIRED=1 (CI, once it has started the cluster) they fail instead.
Every wait is bounded, and each test cancels whatever it left queued.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from net221.app.checkpoint import load_checkpoint

from conftest import BIN, compose_config, run_cli, train_in_process

pytestmark = pytest.mark.slurm

QUICK = ["trainer.epochs=30", "trainer.log_every=10"]
SWEEP_TIMEOUT_S = 300  # the longest a whole sweep may take before the test fails


def _cluster_problem() -> tuple[str | None, str]:
    """(what is missing, or None; the partition to submit to)."""
    if importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None:
        return "the optional [sweeps] extra (hydra-submitit-launcher) is not installed", ""
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return "sinfo/sbatch are not on PATH", ""
    try:
        answer = subprocess.run(
            ["sinfo", "--noheader", "--format=%P %a %T"], capture_output=True, text=True, timeout=15
        )
    except subprocess.TimeoutExpired:
        return "sinfo did not answer within 15 s", ""
    if answer.returncode != 0:
        return f"sinfo failed: {answer.stderr.strip()}", ""
    partitions = [line.split() for line in answer.stdout.splitlines() if len(line.split()) == 3]
    wanted = os.environ.get("NET221_SLURM_PARTITION")
    for name, available, state in partitions:
        if name.rstrip("*") == wanted or (wanted is None and name.endswith("*")):
            if available != "up" or state not in ("idle", "mixed", "allocated", "completing"):
                return f"partition {name.rstrip('*')} is {available}, its node {state}", ""
            return None, name.rstrip("*")
    return f"no partition {wanted or '(default)'} in sinfo's answer: {answer.stdout.strip()!r}", ""


@pytest.fixture(scope="module")
def partition() -> str:
    problem, name = _cluster_problem()
    if problem is not None:
        message = f"no SLURM cluster: {problem} (start one with `make slurm-up` as root)"
        if os.environ.get("NET221_SLURM_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return name


@dataclass
class Sweep:
    """One net221-train -m run on the cluster: its directory and its SLURM job name."""

    dir: Path
    job_name: str
    partition: str

    def args(self, *overrides: str, timeout_min: int = 10, parallel: int = 2) -> list[str]:
        return [
            "-m", "hydra/launcher=submitit_slurm", f"hydra.launcher.partition={self.partition}",
            f"hydra.launcher.timeout_min={timeout_min}", "hydra.launcher.cpus_per_task=1",
            f"hydra.launcher.array_parallelism={parallel}", f"hydra.launcher.name={self.job_name}",
            f"hydra.sweep.dir={self.dir}", *overrides,
        ]  # fmt: skip

    def array_id(self) -> str:
        """The job id of the sweep's array (or single job): submitit names its folders after it."""
        folders = sorted(p.name for p in (self.dir / ".submitit").iterdir() if p.name[0].isdigit())
        return folders[0].split("_")[0]

    def job_log(self, task: str) -> str:
        return next((self.dir / ".submitit" / task).glob("*_log.out")).read_text()


@pytest.fixture
def sweep(tmp_path: Path, partition: str) -> Iterator[Sweep]:
    job_name = f"net221-test-{uuid.uuid4().hex[:8]}"
    yield Sweep(tmp_path / "sweep", job_name, partition)
    # nothing of this test stays queued or running, whatever happened
    subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=30, check=False)


def _accounting() -> bool:
    """Whether sacct answers (the cluster has slurmdbd)."""
    return subprocess.run(["sacct", "--noheader", "-X"], capture_output=True, timeout=30).returncode == 0


def _sacct_states(job_id: str) -> dict[str, tuple[str, str]]:
    """job id -> (state, partition) of each job or array task of job_id, from sacct."""
    answer = subprocess.run(
        ["sacct", "--noheader", "--parsable2", "-X", "--format=JobID,State,Partition", f"--jobs={job_id}"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    states = {}
    for line in answer.stdout.splitlines():
        job, state, partition = line.split("|")
        states[job] = (state, partition)
    return states


def _metrics_rows(path: Path) -> list[list[float]]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return [[float(v) for v in row] for row in rows[1:]]


def test_a_sweep_runs_as_a_job_array_and_the_report_reads_it(sweep: Sweep, tmp_path: Path) -> None:
    result = run_cli(
        "net221-train", *sweep.args("optimizer.lr=0.1,1.0", *QUICK), cwd=tmp_path, timeout=SWEEP_TIMEOUT_S
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    # one sbatch: an array of two tasks, with the launcher's resources
    array = sweep.array_id()
    script = (sweep.dir / ".submitit" / array / f"{array}_submission.sh").read_text()
    for line in ("--array=0-1%2", f"--partition={sweep.partition}", "--cpus-per-task=1", "--time=10"):
        assert f"#SBATCH {line}\n" in script, (line, script)

    summaries = []
    for task in (0, 1):
        run_dir = sweep.dir / str(task)
        for name in ("checkpoint.pt", "metrics.csv", "summary.json", "loss.png", ".hydra/overrides.yaml"):
            assert (run_dir / name).is_file(), (task, name)
        summaries.append(json.loads((run_dir / "summary.json").read_text()))
        # the job ran inside SLURM, as array task `task`
        assert f"Starting with JobEnvironment(job_id={array}_{task}," in sweep.job_log(f"{array}_{task}")

    # a job on the cluster computes what the same run computes here
    assert summaries[1]["final_loss"] == train_in_process(tmp_path / "here", "optimizer.lr=1.0", *QUICK)
    assert summaries[0]["final_loss"] > summaries[1]["final_loss"]

    if _accounting():
        states = _sacct_states(array)
        assert states == {
            f"{array}_0": ("COMPLETED", sweep.partition),
            f"{array}_1": ("COMPLETED", sweep.partition),
        }
        # submitit learns the jobs' states from sacct without complaint
        assert "sacct" not in result.stdout + result.stderr

    report = run_cli("net221-report", f"dir={sweep.dir}", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "2 job(s), 0 failed" in report.stdout
    with (sweep.dir / "report.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["job"], row["optimizer.lr"], row["status"]) for row in rows] == [
        ("0", "0.1", "ok"),
        ("1", "1.0", "ok"),
    ]
    for row, summary in zip(rows, summaries, strict=True):
        assert float(row["final_loss"]) == pytest.approx(summary["final_loss"], rel=1e-3)


def test_an_ensemble_job(sweep: Sweep, tmp_path: Path) -> None:
    overrides = ["trainer.members=200", "trainer.epochs=100", "trainer.log_every=50"]
    result = run_cli("net221-train", *sweep.args(*overrides), cwd=tmp_path, timeout=SWEEP_TIMEOUT_S)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    job = sweep.array_id()  # one job, not an array
    assert not (sweep.dir / ".submitit" / f"{job}_0").exists()
    assert f"Starting with JobEnvironment(job_id={job}," in sweep.job_log(job)

    run_dir = sweep.dir / "0"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["ensemble"]["members"] == 200
    members = (run_dir / "members.csv").read_text()
    assert len(members.splitlines()) == 1 + 200

    # every member trained on the cluster as it trains here
    here = tmp_path / "here"
    train_in_process(here, *overrides)
    assert members == (here / "members.csv").read_text()
    assert summary["ensemble"] == json.loads((here / "summary.json").read_text())["ensemble"]

    report = run_cli("net221-report", f"dir={sweep.dir}", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "1 job(s), 0 failed" in report.stdout


# --- preemption -------------------------------------------------------------------------

# Long enough that the job is still training when it stops: it is interrupted once
# metrics.csv shows epoch 2 * EVERY, a fifteenth of the way, and a job that ignores
# SIGTERM goes on until SIGKILL (KillWait, 5 s on the local cluster).
EPOCHS, LOG_EVERY, EVERY = 30_000, 500, 1_000
RESUMABLE = [
    f"trainer.epochs={EPOCHS}",
    f"trainer.log_every={LOG_EVERY}",
    f"trainer.checkpoint_every={EVERY}",
]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory, partition: str) -> Path:
    """The run directory of the preempted job's run (seed 1), trained here without a break."""
    try:
        compose_config(*RESUMABLE, "trainer.resume=auto")
    except Exception as error:
        reason = str(error).splitlines()[0]
        pytest.skip(f"a preempted job resumes from periodic checkpoints, not in the config yet ({reason})")
    run_dir = tmp_path_factory.mktemp("uninterrupted")
    train_in_process(run_dir, "trainer.seed=1", *RESUMABLE)
    return run_dir


def _wait_for(
    what: str, condition: Callable[[], bool], timeout_s: float, controller: subprocess.Popen[str]
) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert controller.poll() is None, f"the sweep ended (status {controller.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} after {timeout_s} s"
        time.sleep(0.2)


def _logged_epochs(log: str) -> list[int]:
    return [int(m) for m in re.findall(r"Epoch (\d+) loss:", log)]


# Preemption: SIGTERM, SIGKILL, back in the queue. A time limit ahead: USR2 (submitit requeues).
INTERRUPTS = {"requeue": ["scontrol", "requeue"], "time-limit-signal": ["scancel", "--signal=USR2"]}


@pytest.mark.parametrize("interrupt", list(INTERRUPTS.values()), ids=list(INTERRUPTS))
def test_a_preempted_job_resumes_from_its_checkpoint(
    interrupt: list[str], sweep: Sweep, tmp_path: Path, uninterrupted: Path
) -> None:
    args = sweep.args("trainer.seed=0,1", *RESUMABLE, "trainer.resume=auto", timeout_min=60)
    with (tmp_path / "controller.log").open("w") as log:
        controller = subprocess.Popen(
            [str(BIN / "net221-train"), *args], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, text=True
        )
    try:
        metrics = sweep.dir / "1" / "metrics.csv"

        def past_a_checkpoint() -> bool:
            rows = _metrics_rows(metrics) if metrics.is_file() else []
            return bool(rows) and rows[-1][0] >= 2 * EVERY

        _wait_for(f"epoch {2 * EVERY} in {metrics}", past_a_checkpoint, 120, controller)
        task = f"{sweep.array_id()}_1"
        subprocess.run([*interrupt, task], check=True, capture_output=True, timeout=30)
        controller.wait(timeout=SWEEP_TIMEOUT_S)
    finally:
        if controller.poll() is None:
            controller.kill()
            controller.wait()
    output = (tmp_path / "controller.log").read_text()
    assert controller.returncode == 0, output[-3000:]

    # the job started twice, interrupted and then requeued; the job's log holds both
    # starts' console lines
    starts = sweep.job_log(task).split("Starting with JobEnvironment(")[1:]
    last_epoch = _metrics_rows(uninterrupted / "metrics.csv")[-1][0]
    assert _logged_epochs(starts[0])[-1] < last_epoch, "the job trained to the end before it stopped"
    assert len(starts) == 2, starts
    first, second = starts
    stopped_at, resumed_at = _logged_epochs(first)[-1], _logged_epochs(second)[0]
    # the second start went on from a checkpoint at most EVERY epochs before where the
    # first stopped (or from where it stopped), not from epoch 0
    assert stopped_at - EVERY < resumed_at <= stopped_at + LOG_EVERY, (stopped_at, resumed_at)
    assert _logged_epochs(second)[-1] == last_epoch

    # the final weights and the metrics are those of the run without a break
    final = load_checkpoint(sweep.dir / "1" / "checkpoint.pt")["state_dict"]
    expected = load_checkpoint(uninterrupted / "checkpoint.pt")["state_dict"]
    assert final.keys() == expected.keys()
    for name in expected:
        assert torch.equal(final[name], expected[name]), name
    assert _metrics_rows(sweep.dir / "1" / "metrics.csv") == _metrics_rows(uninterrupted / "metrics.csv")
    # the sweep's other job was not disturbed
    assert (sweep.dir / "0" / "summary.json").is_file()
    assert sweep.job_log(f"{sweep.array_id()}_0").count("Starting with JobEnvironment(") == 1
