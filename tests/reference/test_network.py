"""Net221: one network, as a PyTorch user writes it, addressed by the blog's names."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from net221.init import BLOG_NAMES, initial_parameters, parameter_count
from net221.network import BLOG_PARAMETERS, Net221

from conftest import ALL_ONES

ASYMMETRIC = dict(zip(BLOG_NAMES, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], strict=True))


def blog_network(values: dict[str, float], dtype: torch.dtype = torch.float64) -> Net221:
    model = Net221(dtype=dtype)
    model.set_blog_parameters(values)
    return model


def test_two_linear_layers_with_their_own_state_dict_keys() -> None:
    model = Net221()
    assert isinstance(model.hidden, torch.nn.Linear) and isinstance(model.output, torch.nn.Linear)
    assert list(model.state_dict()) == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
    assert model.hidden.weight.shape == (2, 2) and model.output.weight.shape == (1, 2)


def test_blog_names_address_the_documented_entries() -> None:
    model = blog_network(ASYMMETRIC)
    assert model.blog_parameters() == ASYMMETRIC
    assert model.hidden.weight.tolist() == [[0.1, 0.2], [0.3, 0.4]]  # row j: the weights into h_j
    assert model.hidden.bias.tolist() == [0.7, 0.8]
    assert model.output.weight.tolist() == [[0.5, 0.6]]
    assert model.output.bias.tolist() == [0.9]
    state = model.state_dict()
    for name, (key, index) in BLOG_PARAMETERS.items():
        assert float(state[key][index]) == ASYMMETRIC[name]


def test_set_blog_parameters_takes_any_subset() -> None:
    model = blog_network(ASYMMETRIC)
    model.set_blog_parameters({"w3": -7.0, "b2": 2.5})
    assert model.blog_parameters() == dict(ASYMMETRIC, w3=-7.0, b2=2.5)
    with pytest.raises(ValueError, match=r"unknown parameter name\(s\) \['w7'\]"):
        model.set_blog_parameters({"w7": 1.0})


def sigmoid(v: float) -> float:
    return float(1 / (1 + np.exp(-v)))


def test_forward_is_the_blog_formula_for_a_batch_and_for_one_sample() -> None:
    model = blog_network(ASYMMETRIC)
    p = ASYMMETRIC
    x1, x2 = 3.0, -2.0
    h1 = sigmoid(p["w1"] * x1 + p["w2"] * x2 + p["b1"])
    h2 = sigmoid(p["w3"] * x1 + p["w4"] * x2 + p["b2"])
    o1 = sigmoid(p["w5"] * h1 + p["w6"] * h2 + p["b3"])
    batch = model(torch.tensor([[x1, x2], [0.0, 0.0]], dtype=torch.float64))
    assert batch.shape == (2, 1)
    assert batch[0, 0].item() == pytest.approx(o1, abs=1e-15)
    one = model(torch.tensor([x1, x2], dtype=torch.float64))
    assert one.shape == (1,)
    assert one.item() == pytest.approx(o1, abs=1e-15)


def test_gradients_by_name_after_backward() -> None:
    model = blog_network(ALL_ONES)
    assert model.blog_gradients() == dict.fromkeys(BLOG_NAMES, 0.0)  # before any backward
    model(torch.tensor([[-2.0, -1.0]], dtype=torch.float64)).sum().backward()
    grads = model.blog_gradients()
    assert grads["w1"] == pytest.approx(2 * grads["w2"], rel=1e-15)  # x1 = 2 x2 for Alice
    assert grads["w1"] == model.hidden.weight.grad[0, 0].item()  # type: ignore[index]
    assert grads["b3"] == model.output.bias.grad[0].item()  # type: ignore[index]


@pytest.mark.parametrize(("dtype", "tolerance"), [(torch.float32, 1e-6), (torch.float64, 1e-10)])
def test_float32_and_float64(dtype: torch.dtype, tolerance: float) -> None:
    model = blog_network(ALL_ONES, dtype)
    assert all(p.dtype == dtype for p in model.parameters())
    out = model(torch.tensor([[-2.0, -1.0]], dtype=dtype))
    assert out.dtype == dtype
    assert out.item() == pytest.approx(0.5236951741, abs=tolerance)  # the blog's 0.524


def test_an_input_of_another_dtype_is_converted_to_the_networks() -> None:
    float64 = blog_network(ALL_ONES)(torch.tensor([[-2.0, -1.0]], dtype=torch.float64))
    for x in (torch.tensor([[-2.0, -1.0]]), torch.tensor([[-2, -1]])):  # float32 (torch's default), int64
        out = blog_network(ALL_ONES)(x)
        assert out.dtype == torch.float64 and torch.equal(out, float64)
    float32 = blog_network(ALL_ONES, torch.float32)(torch.tensor([[-2.0, -1.0]], dtype=torch.float64))
    assert float32.dtype == torch.float32 and float32.item() == pytest.approx(0.5236951741, abs=1e-6)


def test_device_argument() -> None:
    model = Net221(device="cpu")
    assert {p.device.type for p in model.parameters()} == {"cpu"}


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("width", [1, 2, 5])
def test_widths_and_activations_and_the_flat_layout(activation: str, width: int) -> None:
    flat = initial_parameters("normal", input_dim=3, width=width, seed=4)[0]
    model = Net221(input_dim=3, width=width, activation=activation)
    model.load_flat(flat)
    np.testing.assert_array_equal(model.flat(), flat)
    x = torch.randn(7, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(width))
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    w = torch.from_numpy(flat)
    hidden_w = w[: 3 * width].reshape(width, 3)
    out_w = w[3 * width : 4 * width]
    hidden_b = w[4 * width : 5 * width]
    expected = torch.sigmoid(act(x @ hidden_w.T + hidden_b) @ out_w + w[-1])
    torch.testing.assert_close(model(x)[:, 0], expected, rtol=1e-15, atol=1e-15)


def test_blog_names_need_the_blog_shape() -> None:
    with pytest.raises(ValueError, match="blog names exist only for 2 inputs and width 2"):
        Net221(width=3).blog_parameters()
    with pytest.raises(ValueError, match="init by blog name needs 2 inputs and width 2"):
        initial_parameters("values", width=4, values=ALL_ONES)


def test_bad_construction_and_bad_flat_vectors() -> None:
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        Net221(activation="gelu")
    with pytest.raises(ValueError, match=r"expected 9 values, got shape \(5,\)"):
        Net221().load_flat(np.zeros(5))


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
