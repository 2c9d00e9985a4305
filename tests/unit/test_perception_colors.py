"""Colour naming: every palette colour, lit or in shade, and the confidence."""
import numpy as np
import pytest

from griptalk.perception.colors import DEFAULT_REFERENCE_RGB, ColorConfig, ColorNamer, rgb_to_lab

NAMER = ColorNamer(ColorConfig())
CONTRACT_COLORS = ("red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "brown", "gray", "cyan")


def shaded_pixels(rgb, top_shade, side_shade, top_share=0.4, n=500):
    """An object's pixels: a lit top face and darker sides."""
    n_top = int(n * top_share)
    top = np.tile(np.asarray(rgb) * top_shade, (n_top, 1))
    sides = np.tile(np.asarray(rgb) * side_shade, (n - n_top, 1))
    return np.clip(np.vstack([top, sides]) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def test_the_contract_colours_are_all_known():
    assert set(DEFAULT_REFERENCE_RGB) == set(CONTRACT_COLORS)


@pytest.mark.parametrize("name", CONTRACT_COLORS)
@pytest.mark.parametrize("top_shade", [0.8, 0.9, 1.0, 1.05])
def test_each_colour_is_named_under_shading(name, top_shade):
    pixels = shaded_pixels(DEFAULT_REFERENCE_RGB[name], top_shade, side_shade=0.55)
    assert NAMER.name(pixels)[0] == name


def test_highlights_and_dark_edges_do_not_change_the_name():
    pixels = shaded_pixels(DEFAULT_REFERENCE_RGB["orange"], 0.95, 0.6)
    pixels[:40] = 255  # specular highlight
    pixels[-60:] = 10  # silhouette edge in shadow
    assert NAMER.name(pixels)[0] == "orange"


def test_confidence_is_high_for_a_clear_colour_and_low_between_two():
    clear = NAMER.name(shaded_pixels(DEFAULT_REFERENCE_RGB["blue"], 1.0, 0.6))[1]
    between = (np.asarray(DEFAULT_REFERENCE_RGB["red"]) + np.asarray(DEFAULT_REFERENCE_RGB["pink"])) / 2.0
    ambiguous = NAMER.name(shaded_pixels(between, 1.0, 0.6))[1]
    assert 0.0 <= ambiguous < 0.3 < 0.7 < clear <= 1.0


def test_lab_conversion_matches_known_values():
    lab = rgb_to_lab(np.array([[255, 255, 255], [0, 0, 0]], dtype=np.uint8))
    np.testing.assert_allclose(lab, [[100, 0, 0], [0, 0, 0]], atol=0.5)


def test_no_pixels_and_bad_config_are_rejected():
    with pytest.raises(ValueError):
        NAMER.name(np.zeros((0, 3), np.uint8))
    with pytest.raises(ValueError):
        ColorConfig(reference_rgb={"red": (2.0, 0.0, 0.0)})
    with pytest.raises(ValueError):
        ColorConfig(lit_fraction=0.0)
