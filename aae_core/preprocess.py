"""Turn a user's image (a drawing, an upload) into an MNIST-like 28 x 28 input.

MNIST's recipe (LeCun et al.): the digit's bounding box is scaled to fit 20 x 20 keeping
its aspect ratio, then placed in a 28 x 28 frame so that its centre of mass is at the
centre. Dark-on-light images are inverted. Every unusable image raises one DataError.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from aae_core.errors import DataError

MAX_PIXELS = 4096 * 4096  # refuse decompression bombs before decoding
MIN_INK = 0.002  # share of the canvas that must be inked to count as a drawing


def load_image_bytes(data: bytes) -> np.ndarray:
    """Uploaded bytes -> (H, W) float32 grayscale in [0, 1]; alpha composited on white."""
    if not data:
        raise DataError("the uploaded file is empty")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise DataError(f"the image is too large ({img.width} x {img.height}); "
                                f"use one under {int(MAX_PIXELS ** 0.5)} px a side")
            img.load()
            return _to_gray(img)
    except Image.DecompressionBombError as exc:  # Pillow's own limit, before ours
        raise DataError(f"the image is too large ({exc})") from None
    except (UnidentifiedImageError, OSError):
        raise DataError("that file is not an image this app can read: upload a PNG or JPEG "
                        "picture of a digit") from None


def _to_gray(img: Image.Image) -> np.ndarray:
    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return np.asarray(img.convert("L"), dtype=np.float32) / 255.0


def canvas_to_gray(rgba: np.ndarray, background: tuple[int, int, int] | None = None
                   ) -> np.ndarray:
    """A drawing canvas (H, W, 3 or 4) uint8 -> (H, W) ink in [0, 1] (1 = ink).

    Ink is how far a pixel's colour is from the background colour, whatever the stroke and
    background colours are. Canvases come both ways: opaque (alpha 255 everywhere, the
    background painted in) and transparent (alpha 0 where nothing was drawn); transparent
    pixels are composited onto `background` first. `background` (r, g, b) defaults to the
    commonest colour of the border pixels (a drawing rarely covers the whole border).
    """
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] not in (3, 4) or min(rgba.shape[:2]) < 1:
        raise DataError(f"expected an RGB or RGBA canvas, got an array of shape {rgba.shape}")
    rgb = rgba[..., :3].astype(np.float32)
    if rgba.shape[2] == 4 and (rgba[..., 3] < 255).any():
        alpha = rgba[..., 3:4].astype(np.float32) / 255.0
        if background is None:  # strokes on a transparent sheet: whatever is drawn is ink
            return alpha[..., 0]
        rgb = rgb * alpha + np.asarray(background, np.float32) * (1.0 - alpha)
    bg = (np.asarray(background, np.float32) if background is not None
          else _border_colour(rgb))
    distance = np.abs(rgb - bg).max(axis=2)  # (H, W) in 0..255
    span = max(float(np.abs(np.array([0.0, 255.0])[:, None] - bg).max()), 1.0)
    return np.clip(distance / span, 0.0, 1.0)


def _border_colour(rgb: np.ndarray) -> np.ndarray:
    """The commonest colour (r, g, b) on the image's border, as float32."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).round().astype(np.int64)
    packed = (border[:, 0] << 16) | (border[:, 1] << 8) | border[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    top = int(values[counts.argmax()])
    return np.array([(top >> 16) & 255, (top >> 8) & 255, top & 255], np.float32)


def to_mnist(gray: np.ndarray, *, ink_is_dark: bool | None = None) -> np.ndarray:
    """(H, W) in [0, 1] -> (28, 28) float32 MNIST-style (white digit on black)."""
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 2 or min(gray.shape) < 8:
        raise DataError(f"the image must be 2-D and at least 8 x 8 pixels, got {gray.shape}")
    if not np.isfinite(gray).all():
        raise DataError("the image holds NaN or infinite values")
    if ink_is_dark is None:  # the border is background: dark border = light ink
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        ink_is_dark = border.mean() > 0.5
    ink = 1.0 - gray if ink_is_dark else gray
    ink = np.clip(ink - np.percentile(ink, 5), 0, None)
    if ink.max() <= 0 or (ink > 0.2 * ink.max()).mean() < MIN_INK:
        raise DataError("the image is empty: draw or upload a digit first")
    ink = ink / ink.max()
    rows, cols = np.nonzero(ink > 0.1)
    box = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = 20.0 / max(box.shape)
    h, w = max(1, round(box.shape[0] * scale)), max(1, round(box.shape[1] * scale))
    small = np.asarray(Image.fromarray((box * 255).astype(np.uint8)).resize(
        (w, h), Image.LANCZOS), dtype=np.float32) / 255.0
    frame = np.zeros((28, 28), dtype=np.float32)
    top, left = (28 - h) // 2, (28 - w) // 2
    frame[top:top + h, left:left + w] = small
    return _center_of_mass(frame)


def _center_of_mass(frame: np.ndarray) -> np.ndarray:
    total = frame.sum()
    ys, xs = np.indices(frame.shape)
    dy = int(round(13.5 - (ys * frame).sum() / total))
    dx = int(round(13.5 - (xs * frame).sum() / total))
    shifted = np.roll(np.roll(frame, dy, axis=0), dx, axis=1)
    return np.clip(shifted, 0, 1)
