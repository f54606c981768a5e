"""The diagnosis: each variant of the examples, with one change, gets that change as its cause.

tests/checks/variants/correct.py is scripts/blog_network.py training 60 epochs; every other
blog-network variant there differs from it by one change (two for the two-bug files), and
each partials_*.py variant differs from scripts/my_partials.py by one change."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from net221.checks import report, steps, usercode, usernetwork
from net221.checks.compare import Settings, compare_implementation, compare_trajectory, forward_inputs
from net221.checks.evidence import Diagnosis, conclude, tried
from net221.checks.forward import diagnose_forward, measure_responses
from net221.checks.gradcheck import check
from net221.checks.partials import CORRECT, diagnose_partials
from net221.checks.partials import network as outputs
from net221.checks.rerun import LATE, Variant, rerun
from net221.checks.steps import recording
from net221.checks.training import diagnose_training, diagnose_trajectory
from net221.checks.trajectory import LoggedEpoch, blog_training_data, mse, parse_printed, reference_run
from net221.data import blog_dataset
from net221.derivation import blog_partials
from net221.init import BLOG_NAMES

VARIANTS = Path(__file__).resolve().parent / "variants"
SETTINGS = Settings(epochs=60, points=20)
START = dict(zip(BLOG_NAMES, [0.3, -1.2, 0.8, 0.5, -0.4, 1.1, -0.2, 0.6, 0.05], strict=True))


def loaded(variant: str) -> tuple[usernetwork.UserNetwork, dict[str, float]]:
    """The variant's class, constructed in this process: (its calls, its initial values)."""
    spec = f"{VARIANTS / variant}.py:BlogNetwork"
    network = usernetwork.UserNetwork(spec)
    network.state["cls"] = usercode.load(spec, "class")
    return network, network.construct()[1]


def diagnosed(variant: str, follow: bool = True) -> Diagnosis:
    """The variant's forward pass, then its train() (followed step by step when `follow`)."""
    network, initial = loaded(variant)
    _, inputs = forward_inputs(SETTINGS.points, SETTINGS.seed)
    forward = diagnose_forward(
        initial, inputs, network.feedforward(inputs), SETTINGS, measure_responses(network, inputs)
    )
    if forward is not None and not forward.agrees:
        return forward
    obj = network.state["obj"]
    with contextlib.redirect_stdout(io.StringIO()) as printed, recording(obj, usernetwork.as_float) as events:
        network.train(*blog_training_data(), SETTINGS.lr, SETTINGS.epochs)
    final = network.parameters("after train")
    logged = parse_printed(printed.getvalue())
    return diagnose_training(
        initial, SETTINGS, logged, final, events if follow else None, forward is not None
    )


AGREE = {
    "correct": "agrees",
    "extra_prints": "agrees",
    "print_format": "agrees",
    "float32": "agrees within float32 rounding",
    "loss_per_sample": "prints its loss inside the per-sample loop",
}
CAUSES = {
    "epochs_from_1": ["epochs are counted from 1"],
    "epochs_one_short": ["your train() runs 59 epochs, the reference 60 (set epochs=59)"],
    "loss_before_updates": ["the loss is computed before the epoch's updates"],
    "learn_rate": ["every update is 0.5× the reference's", "learning rate 0.05"],
    "half_mse": ["every update is 0.5× the reference's", "½·MSE"],
    "reversed_rows": ["the rows are in another order: Diana, Charlie, Bob, Alice"],
    "slope_at_activation": ["your update of w1 uses dL/dw1 with f'(h1) for f'(sum_h1)"],
    "h1_h2_swapped": ["your update of w5 uses dL/dw5 with h2 for h1"],
    "x1_x2_swapped": ["your update of w2 uses dL/dw2 with x1 for x2"],
    "missing_slope": ["your update of w6 uses dL/dw6 without the factor f'(sum_o1)"],
    "flipped_sign": ["your update of b2 uses dL/db2 with the opposite sign"],
    "half_mse_and_epochs_from_1": ["every update is 0.5× the reference's", "epochs are counted from 1"],
    "two_partials": ["dL/dw5 with h2 for h1", "dL/db2 with the opposite sign"],
    "output_layer_first": [LATE],
}
# what the steps show; without them the whole-run catalogue names it otherwise or not at all
STEPS_ONLY = {
    "shuffled": (["the rows are shuffled every epoch"], None),
    "reinitialised": (["re-initialised"], None),
    "reinitialised_two_partials": (
        ["re-initialised", "dL/dw5 with h2 for h1", "dL/db2 with the opposite sign"],
        None,
    ),
    "starts_from_another": (["w6's update starts from w5's value: w6 = w5 - ..."], None),
    "shared_factor": (["your updates of w1, w2, b1 use their partials with f'(o1) for f'(sum_o1)"], None),
    "wrong_parameter": (
        ["w5 never changes", "w6 receives w5's update as well as its own"],
        "w5's update is assigned to w6",
    ),
}


@pytest.mark.parametrize("follow", [True, False], ids=["steps", "whole run"])
@pytest.mark.parametrize("variant", sorted(AGREE))
def test_benign_differences_agree(variant: str, follow: bool) -> None:
    found = diagnosed(variant, follow)
    assert found.agrees and found.explained, found.cause
    assert AGREE[variant] in found.cause


@pytest.mark.parametrize("follow", [True, False], ids=["steps", "whole run"])
@pytest.mark.parametrize("variant", sorted(CAUSES))
def test_each_change_is_named(variant: str, follow: bool) -> None:
    found = diagnosed(variant, follow)
    assert not found.agrees and found.explained, found.cause
    for fragment in CAUSES[variant]:
        assert fragment in found.cause
    written = json.loads(json.dumps(report.json_ready(found), allow_nan=False))
    assert written["cause"] == found.cause and written["explained"] is True
    assert (
        any(e["explains"] and e["hypothesis"] in found.cause for e in written["evidence"]) or written["steps"]
    )


@pytest.mark.parametrize("variant", sorted(STEPS_ONLY))
def test_what_only_the_steps_show(variant: str) -> None:
    fragments, whole_run = STEPS_ONLY[variant]
    found = diagnosed(variant)
    assert found.explained and all(f in found.cause for f in fragments), found.cause
    unfollowed = diagnosed(variant, follow=False)
    if whole_run is None:
        assert not unfollowed.explained and unfollowed.cause.startswith("no cause in the catalogue")
        assert "the closest:" in unfollowed.cause
    else:
        assert unfollowed.explained and whole_run in unfollowed.cause


def test_a_weak_fit_after_the_first_step_is_no_re_initialisation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its first step sets all nine, but with the output-layer-first hypothesis out of the step
    replay, the steps after it fit the reference's in only some of the nine changes: that is no
    re-initialisation (nor a row order), and the whole-run catalogue names the cause."""
    monkeypatch.setattr(steps, "LATE_OUTPUT", tuple(CORRECT.values()))
    found = diagnosed("output_layer_first")
    assert "re-initialised" not in found.cause and "another order" not in found.cause
    assert found.explained and found.cause == LATE


def test_the_step_names_both_values() -> None:
    """w6 after the first step (Alice), the variant's and the reference's, from its own initial values."""
    initial = loaded("missing_slope")[1]
    right = blog_partials(**initial, x1=-2.0, x2=-1.0, y_true=1.0)["w6"]
    h2 = 1 / (1 + np.exp(-(initial["w3"] * -2.0 + initial["w4"] * -1.0 + initial["b2"])))
    h1 = 1 / (1 + np.exp(-(initial["w1"] * -2.0 + initial["w2"] * -1.0 + initial["b1"])))
    y = 1 / (1 + np.exp(-(initial["w5"] * h1 + initial["w6"] * h2 + initial["b3"])))
    wrong = -2 * (1 - y) * h2
    found = diagnosed("missing_slope")
    (step,) = found.steps
    assert step.startswith("w6 first differs at step 0 (epoch 0, Alice): ")
    assert f"yours {initial['w6'] - 0.1 * wrong:.10g}, reference {initial['w6'] - 0.1 * right:.10g}" in step


def test_a_feedforward_that_reads_the_wrong_parameter() -> None:
    found = diagnosed("forward_reads_w1")
    assert found.explained and found.cause == "your feedforward reads w1 where w3 belongs"
    assert sum(e["explains"] for e in found.evidence) == 1


def test_a_feedforward_outside_the_catalogue_names_the_parameters_it_treats_differently() -> None:
    found = diagnosed("forward_tanh")
    assert not found.explained and found.cause.startswith(
        "no cause in the catalogue explains your feedforward"
    )
    assert found.cause.endswith("it treats w3, w4, w6, b2 differently (its response to a change of each)")


def test_rerun_is_the_reference() -> None:
    """The re-run with the correct partials trains as net221.loop does."""
    data, labels = blog_training_data()
    run = rerun([Variant(tuple(START.values()), 0.1)], {"blog": (data * 1.0, labels * 1.0)}, 30)
    reference = reference_run(START, 0.1, 30)
    assert np.allclose(run.loss[1:, 0], reference.loss, rtol=1e-12, atol=0)
    assert np.allclose(run.weights[-1, 0], [reference.final[n] for n in BLOG_NAMES], rtol=1e-12, atol=0)


def trajectory(
    values: dict[str, float], features: np.ndarray, lr: float, epochs: int, dtype: type = float
) -> list[LoggedEpoch]:
    """Per-sample SGD by the hand-written partials, logged every epoch with its weights, as a
    program in another language would write it (the loss over the data it trained on); the
    parameters kept in `dtype`."""
    params, labels, logged = {n: float(dtype(v)) for n, v in values.items()}, blog_dataset().labels, []
    for epoch in range(epochs):
        for (x1, x2), y in zip(features, labels, strict=True):
            partials = blog_partials(**params, x1=float(x1), x2=float(x2), y_true=float(y))
            params = {name: float(dtype(params[name] - lr * partials[name])) for name in BLOG_NAMES}
        losses = []
        for (x1, x2), y in zip(features, labels, strict=True):
            h1 = 1 / (1 + np.exp(-(params["w1"] * x1 + params["w2"] * x2 + params["b1"])))
            h2 = 1 / (1 + np.exp(-(params["w3"] * x1 + params["w4"] * x2 + params["b2"])))
            losses.append(
                (y - 1 / (1 + np.exp(-(params["w5"] * h1 + params["w6"] * h2 + params["b3"])))) ** 2
            )
        text = f"{np.mean(losses):.8f}"
        logged.append(LoggedEpoch(epoch, float(text), text, 1e-8, dict(params)))
    return logged


def test_a_float32_trajectory_agrees_within_float32_rounding() -> None:
    start = {name: float(np.float32(value)) for name, value in START.items()}
    shifted = blog_dataset().features - np.array([135.0, 66.0])
    found = diagnose_trajectory(start, SETTINGS, trajectory(start, shifted, 0.1, 30, np.float32))
    assert (
        found.agrees and found.cause == "your train() agrees within float32 rounding (it computes in float32)"
    )


def test_a_trajectory_trained_on_other_data() -> None:
    found = diagnose_trajectory(START, SETTINGS, trajectory(START, blog_dataset().features, 0.1, 20))
    assert found.explained and "as measured (lb, in)" in found.cause


def test_a_trajectory_with_another_learning_rate() -> None:
    shifted = blog_dataset().features - np.array([135.0, 66.0])
    found = diagnose_trajectory(START, SETTINGS, trajectory(START, shifted, 0.2, 20))
    assert found.explained and "every update is 2× the reference's: learning rate 0.2" in found.cause


@pytest.mark.parametrize(
    ("variant", "cause"),
    [
        ("partials_w5_without_slope", "your dL/dw5 equals the correct one without the factor f'(sum_o1)"),
        ("partials_b1_slope_at_activation", "your dL/db1 equals the correct one with f'(h1) for f'(sum_h1)"),
        ("partials_half_mse", "every partial is 0.5× the correct one"),
        ("partials_w5_h2_and_w4_x1", "your dL/dw4 equals the correct one with x1 for x2; your dL/dw5 equals"),
        (
            "seed_notes_loss",
            "every partial is the correct one times a factor that changes from point to point",
        ),
    ],
)
def test_gradcheck_says_why(variant: str, cause: str) -> None:
    result = check(
        variant if variant.startswith("seed") else f"{VARIANTS / variant}.py:my_partials", points=20
    )
    inputs = np.array([[p.x1, p.x2, p.y_true] for p in result.points])
    found = diagnose_partials([p.params for p in result.points], inputs, result.formula_values)
    assert found.explained and found.cause.startswith(cause), found.cause


def test_recording_gives_the_object_its_class_back() -> None:
    network, _ = loaded("correct")
    cls = type(network.state["obj"])
    with (
        contextlib.redirect_stdout(io.StringIO()),
        recording(network.state["obj"], usernetwork.as_float, 20) as events,
    ):
        network.train(*blog_training_data(), 0.1, 60)
    assert type(network.state["obj"]) is cls and events is not None
    assert [name for name, _ in events[:9]] == ["w1", "w2", "b1", "w3", "w4", "b2", "w5", "w6", "b3"]
    assert len(events) == 20


# --- the diagnosis in net221-compare and net221-gradcheck ------------------------------------------


@pytest.mark.parametrize(
    ("variant", "agrees", "cause"),
    [
        ("half_mse", False, "every update is 0.5× the reference's"),
        ("float32", True, "your train() agrees within float32 rounding (it computes in float32)"),
        ("loss_per_sample", True, "train() prints its loss inside the per-sample loop"),
    ],
)
def test_compare_leads_with_the_cause_and_reports_the_evidence(
    variant: str, agrees: bool, cause: str
) -> None:
    c = compare_implementation(f"{VARIANTS / variant}.py:BlogNetwork", SETTINGS)
    assert c.agrees is agrees and c.diagnosis is not None and c.diagnosis.cause.startswith(cause)
    line = report.compare_summary(c)[-1]
    assert line.startswith(("AGREE: " if agrees else "DISAGREE: ") + cause)
    written = json.loads(json.dumps(report.compare_report(c), allow_nan=False))["diagnosis"]
    assert written["cause"] == c.diagnosis.cause and written["evidence"]
    assert all(set(e) == {"hypothesis", "explains", "residual"} for e in written["evidence"])


def test_compare_of_a_trajectory_file_is_diagnosed(tmp_path: Path) -> None:
    shifted = blog_dataset().features - np.array([135.0, 66.0])
    rows = ["epoch,loss," + ",".join(BLOG_NAMES), "init,," + ",".join(repr(START[n]) for n in BLOG_NAMES)]
    for entry in trajectory(START, shifted, 0.2, 20):
        assert entry.weights is not None
        rows.append(f"{entry.epoch},{entry.text}," + ",".join(repr(entry.weights[n]) for n in BLOG_NAMES))
    (tmp_path / "run.csv").write_text("\n".join(rows) + "\n")
    c = compare_trajectory(tmp_path / "run.csv", SETTINGS)
    assert not c.agrees and c.diagnosis is not None
    assert c.diagnosis.cause.startswith("every update is 2× the reference's: learning rate 0.2")


def test_gradcheck_leads_with_the_mistake() -> None:
    result = check(f"{VARIANTS / 'partials_w5_without_slope'}.py:my_partials", points=5)
    cause = "your dL/dw5 equals the correct one without the factor f'(sum_o1)"
    assert result.summary.startswith(f"FAIL: {cause}; ")
    assert result.report["diagnosis"]["cause"] == cause
    assert check("blog", points=5).diagnosis is None


# --- numbers that are not numbers: said as such, no closest cause named ------------------------------


def test_a_partial_that_is_nan_or_inf_is_said_so() -> None:
    """No hypothesis is the closest to nan: gradcheck names the partial, the value and the points
    (and still diagnoses the partials that are numbers), without a RuntimeWarning."""
    result = check("blog", points=20)
    inputs = np.array([[p.x1, p.x2, p.y_true] for p in result.points])
    values = result.formula_values.copy()
    values[:, 0] = np.nan  # dL/dw1
    values[[1, 6], 8] = np.inf  # dL/db3 at two points
    values[:, 5] *= -1  # dL/dw6
    found = diagnose_partials([p.params for p in result.points], inputs, values)
    x1, x2, y = inputs[1]
    assert found.cause == (
        "your formula returned dL/dw1 = nan at every point; "
        f"your formula returned dL/db3 = inf at #1 ({x1:.6g}, {x2:.6g}, {y:.6g}), #6 ({', '.join(f'{v:.6g}' for v in inputs[6])}); "
        "your dL/dw6 equals the correct one with the opposite sign"
    )
    assert not found.explained and "closest" not in found.cause
    everything = diagnose_partials([p.params for p in result.points], inputs, values * np.nan)
    assert everything.cause == (
        "your formula returned dL/dw1, dL/dw2, dL/dw3, dL/dw4, dL/dw5, dL/dw6, dL/db1, dL/db2, dL/db3"
        " = nan at every point"
    )


def test_a_feedforward_that_returns_nan_is_said_so() -> None:
    names, inputs = forward_inputs(SETTINGS.points, SETTINGS.seed)
    yours = np.full(len(inputs), np.nan)
    found = diagnose_forward(START, inputs, yours, SETTINGS, None, names)
    assert found is not None and found.cause == "your feedforward returned nan at every input"
    yours[:] = outputs(np.array(list(START.values())), inputs[:, 0], inputs[:, 1])[2]
    yours[1] = np.inf
    found = diagnose_forward(START, inputs, yours, SETTINGS, None, names)
    assert found is not None and found.cause == "your feedforward returned inf at Bob (25, 6)"
    assert not found.explained


def test_a_printed_loss_that_is_nan_is_said_so() -> None:
    """The weights are judged alone: here they agree, yet the comparison does not."""
    network, initial = loaded("correct")
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        network.train(*blog_training_data(), SETTINGS.lr, SETTINGS.epochs)
    logged = parse_printed(printed.getvalue().replace("Epoch 10 loss: 0.", "Epoch 10 loss: nan  "))
    found = diagnose_training(initial, SETTINGS, logged, network.parameters("after train"))
    assert not found.agrees and found.explained
    assert (
        found.cause
        == "your train() printed the loss nan at epoch 10; its final weights agree with the reference's"
    )


def test_no_closest_cause_for_numbers_that_are_not_numbers() -> None:
    found = conclude([tried("a", np.inf), tried("b", np.inf)], "numbers")
    assert found.cause == "no cause in the catalogue explains your numbers exactly" and not found.explained


def test_steps_with_a_value_that_is_not_a_number_are_not_replayed() -> None:
    events = [(name, START[name] + 0.01 * (k + 1)) for k in range(20) for name in BLOG_NAMES]
    assert steps.follow_steps(START, [*events[:5], ("w3", float("nan")), *events[5:]], SETTINGS) is None
    assert steps.follow_steps(START, [("w3", 1e308), *events], SETTINGS) is None  # and no RuntimeWarning


def test_a_trajectory_that_updates_the_output_layer_first() -> None:
    """Written by a program that updates w5, w6, b3 before it takes the hidden layer's partials."""
    p, logged = dict(START), []
    data, labels = blog_training_data()
    for epoch in range(20):
        for (x1, x2), y in zip(data.tolist(), labels.tolist(), strict=True):
            h1 = 1 / (1 + np.exp(-(p["w1"] * x1 + p["w2"] * x2 + p["b1"])))
            h2 = 1 / (1 + np.exp(-(p["w3"] * x1 + p["w4"] * x2 + p["b2"])))
            o = 1 / (1 + np.exp(-(p["w5"] * h1 + p["w6"] * h2 + p["b3"])))
            d = -2 * (y - o) * o * (1 - o)
            p["w5"], p["w6"], p["b3"] = p["w5"] - 0.1 * d * h1, p["w6"] - 0.1 * d * h2, p["b3"] - 0.1 * d
            g1, g2 = d * p["w5"] * h1 * (1 - h1), d * p["w6"] * h2 * (1 - h2)
            p["w1"], p["w2"], p["b1"] = p["w1"] - 0.1 * g1 * x1, p["w2"] - 0.1 * g1 * x2, p["b1"] - 0.1 * g1
            p["w3"], p["w4"], p["b2"] = p["w3"] - 0.1 * g2 * x1, p["w4"] - 0.1 * g2 * x2, p["b2"] - 0.1 * g2
        text = f"{mse(p):.8f}"
        logged.append(LoggedEpoch(epoch, float(text), text, 1e-8, dict(p)))
    found = diagnose_trajectory(START, SETTINGS, logged)
    assert found.explained and found.cause == LATE
