from __future__ import annotations

import numpy as np
import pytest
import torch

from net221.init import BLOG_NAMES, initial_parameters, parameter_count
from net221.network import Net221

from conftest import ALL_ONES

ASYMMETRIC = dict(zip(BLOG_NAMES, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], strict=True))


def test_blog_names_address_the_right_entries() -> None:
    model = Net221(initial=ASYMMETRIC)
    assert model.blog_parameters() == ASYMMETRIC
    assert model.hidden_weight[0].tolist() == [[0.1, 0.3], [0.2, 0.4]]  # [input, neuron]
    assert model.hidden_bias[0].tolist() == [[0.7, 0.8]]
    assert model.output_weight[0].tolist() == [[0.5], [0.6]]
    assert model.output_bias[0].tolist() == [[0.9]]


def test_forward_is_the_blog_formula() -> None:
    model = Net221(initial=ASYMMETRIC)
    x1, x2 = 3.0, -2.0
    p = ASYMMETRIC

    def f(v: float) -> float:
        return float(1 / (1 + np.exp(-v)))

    h1 = f(p["w1"] * x1 + p["w2"] * x2 + p["b1"])
    h2 = f(p["w3"] * x1 + p["w4"] * x2 + p["b2"])
    o1 = f(p["w5"] * h1 + p["w6"] * h2 + p["b3"])
    assert model(torch.tensor([[x1, x2]], dtype=torch.float64)).item() == pytest.approx(o1, abs=1e-15)


def test_set_blog_parameters_and_gradients_by_name() -> None:
    model = Net221()
    model.set_blog_parameters(ALL_ONES)
    assert model.blog_parameters() == ALL_ONES
    loss = model(torch.tensor([[-2.0, -1.0]], dtype=torch.float64)).sum()
    loss.backward()
    grads = model.blog_gradients()
    assert set(grads) == set(BLOG_NAMES)
    assert grads["w1"] == pytest.approx(2 * grads["w2"])  # x1 = 2 x2 for Alice


def test_float32_and_float64() -> None:
    for dtype in (torch.float32, torch.float64):
        model = Net221(initial=ALL_ONES, dtype=dtype)
        out = model(torch.tensor([[-2.0, -1.0]], dtype=dtype))
        assert out.dtype == dtype
        assert out.item() == pytest.approx(0.5236951741, abs=1e-6 if dtype == torch.float32 else 1e-10)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("width", [1, 2, 5])
def test_widths_and_activations(activation: str, width: int) -> None:
    flat = initial_parameters("normal", input_dim=3, width=width, members=2, seed=4)
    model = Net221(input_dim=3, width=width, activation=activation, members=2, initial=flat)
    np.testing.assert_array_equal(model.flat(), flat)
    x = torch.randn(7, 3, dtype=torch.float64)
    out = model(x)
    assert out.shape == (2, 7, 1)
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    for k in range(2):
        w = torch.from_numpy(flat[k])
        hidden_w = w[: 3 * width].reshape(width, 3)
        out_w = w[3 * width : 4 * width]
        hidden_b = w[4 * width : 5 * width]
        expected = torch.sigmoid(act(x @ hidden_w.T + hidden_b) @ out_w + w[-1])
        torch.testing.assert_close(out[k, :, 0], expected)


def test_members_are_independent_networks() -> None:
    flat = initial_parameters("normal", members=3, seed=9)
    ensemble = Net221(members=3, initial=flat)
    x = torch.randn(5, 2, dtype=torch.float64)
    out = ensemble(x)
    for k in range(3):
        single = Net221(initial=flat[k : k + 1])
        torch.testing.assert_close(out[k], single(x)[0], rtol=0, atol=1e-15)
        assert ensemble.member(k).blog_parameters() == single.blog_parameters()
    assert ensemble.blog_parameters(member=2) == dict(zip(BLOG_NAMES, flat[2].tolist(), strict=True))


def test_blog_names_need_the_blog_shape() -> None:
    with pytest.raises(ValueError, match="blog names exist only for 2 inputs and width 2"):
        Net221(width=3).blog_parameters()
    with pytest.raises(ValueError, match="init by blog name needs 2 inputs and width 2"):
        initial_parameters("values", width=4, values=ALL_ONES)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"activation": "gelu"}, "unknown activation 'gelu'"),
        ({"width": 0}, "width must be >= 1"),
        ({"initial": np.zeros((1, 5))}, r"shape \(1, 5\), expected \(1, 9\)"),
        ({"initial": {"w1": 1.0}}, "missing parameter name"),
        ({"initial": dict(ALL_ONES, w7=1.0)}, r"unknown parameter name\(s\) \['w7'\]"),
    ],
)
def test_bad_construction(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Net221(**kwargs)  # type: ignore[arg-type]


def test_init_schemes() -> None:
    count = parameter_count(2, 4)
    normal = initial_parameters("normal", width=4, members=3, seed=5)
    assert normal.shape == (3, count)
    # member k draws from seed + k: an ensemble's member 2 is a single network with seed 7
    np.testing.assert_array_equal(normal[2], initial_parameters("normal", width=4, seed=7)[0])
    noise = initial_parameters("zeros_noise", width=4, seed=5, noise_std=0.01)
    np.testing.assert_allclose(noise, 0.01 * normal[:1])
    xavier = initial_parameters("xavier", width=4, members=50, seed=1)
    assert np.all(xavier[:, -5:] == 0.0)  # biases
    hidden_bound = np.sqrt(6 / (2 + 4))
    assert np.abs(xavier[:, :8]).max() <= hidden_bound and np.abs(xavier[:, :8]).max() > 0.9 * hidden_bound
    values = initial_parameters("values", members=2, values=ALL_ONES)
    np.testing.assert_array_equal(values, [[1, 1, 1, 1, 1, 1, 0, 0, 0]] * 2)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        initial_parameters("normal", seed=-1)
    with pytest.raises(ValueError, match="unknown init scheme 'he'"):
        initial_parameters("he")


@pytest.mark.parametrize(("activation", "width", "rows"), [("sigmoid", 2, 1), ("tanh", 3, 5), ("relu", 1, 4)])
def test_both_forward_routes_compute_the_same_function(activation: str, width: int, rows: int) -> None:
    model = Net221(input_dim=3, width=width, activation=activation, members=6, initial=None)
    x = torch.randn(rows, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(width))
    gradients = []
    for route in (model.forward_batched, model.forward_along_members):
        model.zero_grad(set_to_none=True)
        out = route(x)
        assert out.shape == (6, rows, 1)
        (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)).sum().backward()
        gradients.append((out.detach(), model.flat_grad()))
    (batched, batched_grad), (along, along_grad) = gradients
    np.testing.assert_allclose(along.numpy(), batched.numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(along_grad, batched_grad, rtol=1e-13, atol=1e-15)
    expanded = x.expand(6, *x.shape)  # the form a training loop passes
    for route in (model.forward_batched, model.forward_along_members):
        torch.testing.assert_close(route(expanded), route(x), rtol=0, atol=0)


def test_members_are_the_innermost_dimension_in_memory() -> None:
    model = Net221(members=5)
    assert model.hidden_weight.shape == (5, 2, 2) and model.hidden_weight.stride() == (1, 10, 5)
    assert model.output_weight.permute(1, 2, 0).is_contiguous()
    state = model.state_dict()
    copy = Net221(members=5, initial=np.zeros((5, 9)))
    copy.load_state_dict(state)
    np.testing.assert_array_equal(copy.flat(), model.flat())


def test_inputs_that_differ_by_member_take_the_batched_route() -> None:
    from net221.network import COLUMN_MEMBERS

    model = Net221(members=COLUMN_MEMBERS)
    rows = torch.randn(COLUMN_MEMBERS, 1, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(model(rows), model.forward_batched(rows), rtol=0, atol=0)
    with pytest.raises(ValueError, match="differ by member"):
        model.forward_along_members(rows)
    with pytest.raises(ValueError, match=r"not inputs of shape \(2, 1, 2\)"):
        model.forward_along_members(rows[:1].expand(2, 1, 2))


def test_a_contiguous_state_dict_loads_into_the_members_innermost_layout() -> None:
    model = Net221(members=4, initial=initial_parameters("normal", members=4, seed=8))
    contiguous = {name: tensor.contiguous() for name, tensor in model.state_dict().items()}
    assert contiguous["hidden_weight"].stride() == (4, 2, 1)
    copy = Net221(members=4, initial=np.zeros((4, 9)))
    copy.load_state_dict(contiguous)
    np.testing.assert_array_equal(copy.flat(), model.flat())
    assert copy.hidden_weight.stride() == (1, 8, 4)
