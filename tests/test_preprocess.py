"""aae_core.preprocess: every unusable image is one DataError; good ones look like MNIST."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from aae_core.errors import DataError
from aae_core.preprocess import canvas_to_gray, load_image_bytes, to_mnist


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height; the pixel data is a token (never decoded)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b""))


def seven(size=(120, 160), *, ink=(0, 0, 0, 255), background=(0, 0, 0, 0)) -> Image.Image:
    """An RGBA 'digit' drawn off-centre (so centring is really tested)."""
    img = Image.new("RGBA", size, background)
    draw = ImageDraw.Draw(img)
    draw.line([(10, 20), (70, 20), (35, 110)], fill=ink, width=9)
    return img


def centre_of_mass(frame: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(frame.shape)
    total = frame.sum()
    return float((ys * frame).sum() / total), float((xs * frame).sum() / total)


def test_empty_bytes_are_refused():
    with pytest.raises(DataError, match="empty"):
        load_image_bytes(b"")


@pytest.mark.parametrize("data", [b"not an image", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"])
def test_non_image_bytes_are_refused(data):
    with pytest.raises(DataError, match="not an image") as err:
        load_image_bytes(data)
    assert "<" not in str(err.value) and "BytesIO" not in str(err.value)  # no internals


def test_truncated_png_is_refused():
    data = png_bytes(seven())
    with pytest.raises(DataError, match="not an image"):
        load_image_bytes(data[: len(data) // 2])


def test_a_huge_image_is_refused_before_decoding():
    data = png_bytes(Image.new("1", (5000, 5000)))
    assert len(data) < 100_000  # it compresses small: a decompression bomb in miniature
    with pytest.raises(DataError, match="too large"):
        load_image_bytes(data)


def test_a_header_beyond_pillows_bomb_limit_says_too_large():
    # 20000 x 20000 > 2 x Image.MAX_IMAGE_PIXELS: Pillow itself raises DecompressionBombError
    with pytest.raises(DataError, match="too large"):
        load_image_bytes(png_header_only(20_000, 20_000))


def test_rgba_digit_on_transparent_background_is_centred():
    gray = load_image_bytes(png_bytes(seven()))
    assert gray.shape == (160, 120) and gray.dtype == np.float32
    assert gray[0, 0] == pytest.approx(1.0)  # transparency composited on white
    out = to_mnist(gray)
    assert out.shape == (28, 28)
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert out[0, 0] == 0.0  # MNIST-like: black background
    cy, cx = centre_of_mass(out)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1


def test_canvas_with_black_strokes_on_transparent_background():
    rgba = np.asarray(seven())
    ink = canvas_to_gray(rgba)
    assert ink.max() == pytest.approx(1.0) and ink[0, 0] == 0.0
    out = to_mnist(ink)
    cy, cx = centre_of_mass(out)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1


def test_canvas_with_white_strokes_on_transparent_background():
    rgba = np.asarray(seven(ink=(255, 255, 255, 255)))
    out = to_mnist(canvas_to_gray(rgba))
    assert out.shape == (28, 28) and out.max() > 0.5


def opaque_canvas(ink, paper) -> np.ndarray:
    """What streamlit-drawable-canvas hands back: alpha 255 everywhere, a stroked 7."""
    img = Image.new("RGBA", (224, 224), (*paper, 255))
    ImageDraw.Draw(img).line([(50, 40), (170, 40), (100, 190)], fill=(*ink, 255), width=18)
    return np.asarray(img)


@pytest.mark.parametrize(("ink", "paper"), [
    ((255, 255, 255), (0, 0, 0)),  # the app's canvas: white on black
    ((0, 0, 0), (255, 255, 255)),  # black on white
    ((220, 30, 30), (240, 240, 200)),  # red on cream
], ids=["white-on-black", "black-on-white", "red-on-cream"])
def test_an_opaque_canvas_reads_the_strokes_as_ink(ink, paper):
    rgba = opaque_canvas(ink, paper)
    assert (rgba[..., 3] == 255).all()
    gray = canvas_to_gray(rgba)
    assert gray[0, 0] == 0.0 and gray[40, 110] > 0.7  # paper is no ink, the stroke is
    out = to_mnist(gray, ink_is_dark=False)
    assert out[0, 0] == 0.0 and out.max() == pytest.approx(1.0, abs=0.05)
    cy, cx = centre_of_mass(out)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1


def test_a_transparent_canvas_is_composited_on_the_given_background():
    rgba = np.asarray(seven(ink=(255, 255, 255, 255)))
    gray = canvas_to_gray(rgba, background=(0, 0, 0))
    assert gray[0, 0] == 0.0 and gray.max() == pytest.approx(1.0)
    assert np.allclose(gray, canvas_to_gray(rgba))  # same ink as reading the alpha


@pytest.mark.parametrize("blank", [
    np.zeros((200, 200, 4), dtype=np.uint8),  # nothing drawn on a transparent canvas
    np.full((200, 200, 4), 255, dtype=np.uint8),  # an opaque white canvas
])
def test_a_blank_canvas_is_empty(blank):
    with pytest.raises(DataError, match="the image is empty"):
        to_mnist(canvas_to_gray(blank))


def test_a_blank_upload_is_empty():
    gray = load_image_bytes(png_bytes(Image.new("RGBA", (64, 64), (0, 0, 0, 0))))
    with pytest.raises(DataError, match="the image is empty"):
        to_mnist(gray)


def test_dark_ink_on_white_is_inverted():
    img = seven(ink=(0, 0, 0, 255), background=(255, 255, 255, 255)).convert("L")
    gray = load_image_bytes(png_bytes(img))
    out = to_mnist(gray)
    assert out[0, 0] == 0.0 and out[-1, -1] == 0.0
    assert out.max() > 0.9
    assert (out > 0.5).mean() < 0.5  # ink is the minority, as in MNIST
    # the same digit given light-on-dark gives (nearly) the same frame
    same = to_mnist(1.0 - gray)
    assert np.abs(out - same).max() < 1e-5


def test_nan_is_refused():
    gray = np.zeros((28, 28), dtype=np.float32)
    gray[3, 4] = np.nan
    with pytest.raises(DataError, match="NaN"):
        to_mnist(gray)


def test_infinite_is_refused():
    gray = np.zeros((28, 28), dtype=np.float32)
    gray[3, 4] = np.inf
    with pytest.raises(DataError, match="infinite"):
        to_mnist(gray)


@pytest.mark.parametrize("shape", [(4, 4), (4, 100), (28, 28, 3), (784,)])
def test_bad_shapes_are_refused(shape):
    with pytest.raises(DataError, match="at least 8 x 8"):
        to_mnist(np.zeros(shape, dtype=np.float32))


def test_a_4x4_upload_is_refused():
    img = Image.new("L", (4, 4), 255)
    img.putpixel((1, 1), 0)
    with pytest.raises(DataError):
        to_mnist(load_image_bytes(png_bytes(img)))


@pytest.mark.parametrize("shape", [(3, 4), (4, 3, 2), (10,)])
def test_canvas_of_wrong_shape_is_refused(shape):
    with pytest.raises(DataError, match="RGBA canvas"):
        canvas_to_gray(np.zeros(shape, dtype=np.uint8))
