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
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"that file is not an image Pillow can read ({exc})") from None


def _to_gray(img: Image.Image) -> np.ndarray:
    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return np.asarray(img.convert("L"), dtype=np.float32) / 255.0


def canvas_to_gray(rgba: np.ndarray) -> np.ndarray:
    """A drawing canvas (H, W, 4) uint8, strokes on a transparent or dark background ->
    (H, W) ink in [0, 1] (1 = ink)."""
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] not in (3, 4):
        raise DataError(f"expected an RGBA canvas, got an array of shape {rgba.shape}")
    rgb = rgba[..., :3].astype(np.float32).mean(axis=2) / 255.0
    if rgba.shape[2] == 4:
        alpha = rgba[..., 3].astype(np.float32) / 255.0
        drawn = rgb[alpha > 0]  # light strokes: ink = brightness; dark strokes: ink = alpha
        return np.clip(rgb * alpha, 0, 1) if drawn.size and drawn.mean() > 0.5 else alpha
    return rgb


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
