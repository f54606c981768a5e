"""The hand-written partials against autograd and finite differences, in float64."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from net221.derivation import blog_partials, deriv_sigmoid, feedforward, sigmoid
from net221.errata import seed_notes_partials, separate_inputs_partials, squared_loss_partials
from net221.init import BLOG_NAMES

from conftest import ALL_ONES, WORKED_GRADIENTS, network_from

# The blog's worked example: all weights 1, biases 0, Alice (x = [-2, -1], female).
ALICE = {"x1": -2.0, "x2": -1.0, "y_true": 1.0}


def autograd_partials(params: dict[str, float], x1: float, x2: float, y_true: float) -> dict[str, float]:
    """dL/dθ from loss.backward() on the torch module, L = (y_true - y_pred)^2."""
    model = network_from(params)
    x = torch.tensor([[x1, x2]], dtype=torch.float64)
    y = torch.tensor([[y_true]], dtype=torch.float64)
    F.mse_loss(model(x), y, reduction="sum").backward()
    return model.blog_gradients()


def test_worked_example_forward() -> None:
    assert sigmoid(-3.0) == pytest.approx(0.0474, abs=5e-5)
    y_pred = feedforward(**ALL_ONES, x1=-2.0, x2=-1.0)
    assert y_pred == pytest.approx(0.5236951741, abs=1e-10)
    assert (1.0 - y_pred) ** 2 == pytest.approx(0.2268662872, abs=1e-10)
    model = network_from(ALL_ONES)
    torch_pred = model(torch.tensor([[-2.0, -1.0]], dtype=torch.float64)).item()
    assert torch_pred == pytest.approx(0.5236951741, abs=1e-10)


@pytest.mark.parametrize("source", ["hand", "autograd"])
def test_worked_example_gradients(source: str) -> None:
    grads = blog_partials(**ALL_ONES, **ALICE) if source == "hand" else autograd_partials(ALL_ONES, **ALICE)
    assert set(grads) == set(BLOG_NAMES)
    for name, expected in WORKED_GRADIENTS.items():
        assert grads[name] == pytest.approx(expected, abs=1e-9), name


def assert_partials_close(got: dict[str, float], want: dict[str, float], rel: float, abs_: float) -> None:
    for name in BLOG_NAMES:
        assert math.isclose(got[name], want[name], rel_tol=rel, abs_tol=abs_), (name, got[name], want[name])


values = st.floats(-3.0, 3.0, allow_nan=False)
inputs = st.floats(-20.0, 20.0, allow_nan=False)


@settings(max_examples=250, deadline=None, derandomize=True)
@given(
    params=st.fixed_dictionaries(dict.fromkeys(BLOG_NAMES, values)),
    x1=inputs,
    x2=inputs,
    y_true=st.floats(0.0, 1.0),
)
def test_hand_formula_equals_autograd_at_random_points(
    params: dict[str, float], x1: float, x2: float, y_true: float
) -> None:
    # relative 1e-10; absolute 1e-15 only matters where a gradient is ~0 (saturated sigmoids)
    assert_partials_close(
        blog_partials(**params, x1=x1, x2=x2, y_true=y_true),
        autograd_partials(params, x1, x2, y_true),
        rel=1e-10,
        abs_=1e-15,
    )


def random_points(count: int, seed: int) -> list[tuple[dict[str, float], float, float, float]]:
    rng = np.random.default_rng(seed)
    return [
        (
            dict(zip(BLOG_NAMES, rng.normal(0.0, 1.0, 9).tolist(), strict=True)),
            float(rng.uniform(-10, 10)),
            float(rng.uniform(-10, 10)),
            float(rng.integers(0, 2)),
        )
        for _ in range(count)
    ]


def test_autograd_gradcheck_on_the_module() -> None:
    model = network_from(random_points(1, seed=7)[0][0])
    x = torch.tensor([[-2.0, -1.0], [25.0, 6.0], [0.3, -0.7]], dtype=torch.float64)
    y = torch.tensor([[1.0], [0.0], [1.0]], dtype=torch.float64)
    names = [name for name, _ in model.named_parameters()]

    def loss(*tensors: torch.Tensor) -> torch.Tensor:
        out = torch.func.functional_call(model, dict(zip(names, tensors, strict=True)), (x,))
        return F.mse_loss(out, y)

    tensors = tuple(p.detach().clone().requires_grad_() for p in model.parameters())
    assert torch.autograd.gradcheck(loss, tensors, eps=1e-6, atol=1e-9, rtol=1e-7)


def test_central_finite_difference_agrees_with_hand_formula() -> None:
    step = 1e-6
    for params, x1, x2, y_true in random_points(50, seed=11):
        hand = blog_partials(**params, x1=x1, x2=x2, y_true=y_true)
        for name in BLOG_NAMES:
            plus = dict(params, **{name: params[name] + step})
            minus = dict(params, **{name: params[name] - step})
            loss_plus = (y_true - feedforward(**plus, x1=x1, x2=x2)) ** 2
            loss_minus = (y_true - feedforward(**minus, x1=x1, x2=x2)) ** 2
            central = (loss_plus - loss_minus) / (2 * step)
            assert math.isclose(central, hand[name], rel_tol=1e-5, abs_tol=1e-9), name


def test_sigmoid_does_not_overflow() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sigmoid(1000.0) == 1.0
        assert sigmoid(-1000.0) == 0.0
        assert deriv_sigmoid(1000.0) == 0.0
        assert deriv_sigmoid(-1000.0) == 0.0
    model = network_from(ALL_ONES)
    x = torch.tensor([[1000.0, 0.0], [-1000.0, 0.0]], dtype=torch.float64)
    out = model(x)
    assert torch.isfinite(out).all()
    assert out[0, 0].item() == pytest.approx(sigmoid(2.0))  # h = (1, 1) -> o = f(2)
    assert out[1, 0].item() == pytest.approx(0.5)  # h = (0, 0) -> o = f(0)


# --- the two documented mistakes really are mistakes ------------------------------


def test_squared_loss_derivative_disagrees_with_autograd() -> None:
    # dL/dy_pred = -2 (1 - y_pred)^2 scales every partial by (1 - y_pred) for y_true = 1
    for params, x1, x2, _ in random_points(20, seed=3):
        wrong = squared_loss_partials(**params, x1=x1, x2=x2, y_true=1.0)
        right = autograd_partials(params, x1, x2, 1.0)
        y_pred = feedforward(**params, x1=x1, x2=x2)
        for name in BLOG_NAMES:
            assert wrong[name] == pytest.approx(right[name] * (1 - y_pred), rel=1e-9, abs=1e-15)
            assert not math.isclose(wrong[name], right[name], rel_tol=1e-3)


def test_separate_inputs_hidden_neurons_disagree_with_autograd() -> None:
    hidden = ("w1", "w2", "w3", "w4", "b1", "b2")
    for params, x1, x2, y_true in random_points(20, seed=5):
        wrong = separate_inputs_partials(**params, x1=x1, x2=x2, y_true=y_true)
        right = autograd_partials(params, x1, x2, y_true)
        for name in ("w5", "w6", "b3"):
            assert math.isclose(wrong[name], right[name], rel_tol=1e-10, abs_tol=1e-15)
        disagreeing = [name for name in hidden if not math.isclose(wrong[name], right[name], rel_tol=1e-6)]
        assert disagreeing == list(hidden) or (abs(right["w3"]) < 1e-12 and abs(right["w4"]) < 1e-12)


def test_worked_example_exposes_both_mistakes() -> None:
    wrong = seed_notes_partials(**ALL_ONES, **ALICE)
    # w3, w4 vanish from the notes' hidden neurons
    assert wrong["w3"] == 0.0 and wrong["w4"] == 0.0
    for name in BLOG_NAMES:
        assert not math.isclose(wrong[name], WORKED_GRADIENTS[name], rel_tol=1e-3), name
