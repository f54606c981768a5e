import numpy as np
import pytest

from net221.data import BLOG_SHIFT, Normalization, blog_dataset, held_out_people


def test_blog_people_as_inputs() -> None:
    people = blog_dataset()
    assert people.names == ("Alice", "Bob", "Charlie", "Diana")
    inputs = Normalization.fit("blog", people.features, people.feature_names).apply(people.features)
    np.testing.assert_array_equal(inputs, [[-2, -1], [25, 6], [17, 4], [-15, -6]])
    np.testing.assert_array_equal(people.labels, [1, 0, 0, 1])  # 1 = female


def test_held_out_people_as_inputs() -> None:
    held_out = held_out_people()
    assert held_out.names == ("Emily", "Frank")
    np.testing.assert_array_equal(held_out.features - np.array(BLOG_SHIFT), [[-7, -3], [20, 2]])


def test_subset_keeps_names_with_rows() -> None:
    people = blog_dataset().subset([3, 0])
    assert people.names == ("Diana", "Alice")
    np.testing.assert_array_equal(people.features, [[120, 60], [133, 65]])
    np.testing.assert_array_equal(people.labels, [1, 1])


def test_normalization_modes() -> None:
    raw = np.array([[1.0, 10.0], [3.0, 30.0]])
    names = ("a", "b")
    mean = Normalization.fit("mean", raw, names)
    np.testing.assert_allclose(mean.apply(raw), [[-1, -10], [1, 10]])
    standard = Normalization.fit("standardize", raw, names)
    np.testing.assert_allclose(standard.apply(raw), [[-1, -1], [1, 1]])
    np.testing.assert_array_equal(Normalization.fit("none", raw, names).apply(raw), raw)
    assert standard.to_dict() == {"shift": [2.0, 20.0], "scale": [1.0, 10.0]}


@pytest.mark.parametrize(
    ("mode", "raw", "message"),
    [
        ("blog", np.ones((2, 3)), "exactly two features"),
        ("standardize", np.array([[1.0, 2.0], [1.0, 3.0]]), "feature 'a' is constant"),
        ("zscore", np.ones((2, 2)), "unknown normalize mode 'zscore'"),
    ],
)
def test_normalization_errors(mode: str, raw: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Normalization.fit(mode, raw, ("a", "b", "c")[: raw.shape[1]])
