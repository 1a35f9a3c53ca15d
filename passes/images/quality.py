"""How close a quantised image is to its full-colour render: SSIM and PSNR.

SSIM is Wang, Bovik, Sheikh and Simoncelli's (IEEE TIP 13(4), 2004): an 11-tap Gaussian window
with sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255, averaged over the picture and the channels.
Both measures compare premultiplied colour (a fully transparent pixel has no colour to lose)
and add the alpha channel only when one of the two images is not fully opaque, so an opaque
picture is not scored up by a constant channel.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from PIL import Image

_RADIUS = 5
_SIGMA = 1.5
_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2
_TAPS = np.exp(-(np.arange(-_RADIUS, _RADIUS + 1) ** 2) / (2 * _SIGMA**2))
_TAPS = (_TAPS / _TAPS.sum()).astype(np.float32)

Pixels = npt.NDArray[np.float32]


def _has_alpha(image: Image.Image) -> bool:
    return "A" in image.getbands() or (image.mode == "P" and "transparency" in image.info)


def _premultiplied(image: Image.Image, *, with_alpha: bool) -> Pixels:
    pixels = np.asarray(image.convert("RGBA"), dtype=np.float32)
    alpha = pixels[..., 3:4]
    colour = pixels[..., :3] * (alpha / np.float32(255))
    return np.concatenate([colour, alpha], axis=2) if with_alpha else colour


def _blur(x: Pixels) -> Pixels:
    """Separable Gaussian blur of each channel, accumulated in place (memory-bound)."""
    padded = np.pad(x, ((_RADIUS, _RADIUS), (_RADIUS, _RADIUS), (0, 0)), mode="symmetric")
    height, width = x.shape[:2]
    rows: Pixels = padded[:, :width] * _TAPS[0]
    for i in range(1, len(_TAPS)):
        rows += _TAPS[i] * padded[:, i : i + width]
    out: Pixels = rows[:height] * _TAPS[0]
    for i in range(1, len(_TAPS)):
        out += _TAPS[i] * rows[i : i + height]
    return out


class Reference:
    """One picture's blurred statistics, kept to score many candidates against it."""

    def __init__(self, image: Image.Image, *, with_alpha: bool | None = None) -> None:
        self.size = image.size
        self.with_alpha = _has_alpha(image) if with_alpha is None else with_alpha
        self.pixels = _premultiplied(image, with_alpha=self.with_alpha)
        self.mean = _blur(self.pixels)
        self.variance = _blur(self.pixels * self.pixels) - self.mean * self.mean

    def _candidate(self, image: Image.Image) -> Pixels:
        if image.size != self.size:
            raise ValueError(f"sizes differ: {self.size} and {image.size}")
        return _premultiplied(image, with_alpha=self.with_alpha)

    def ssim(self, image: Image.Image) -> float:
        """Mean SSIM of ``image`` against this picture."""
        x, y = self.pixels, self._candidate(image)
        depth = x.shape[2]
        blurred = _blur(np.concatenate([y, y * y, x * y], axis=2))
        my, yy, xy = (blurred[..., i * depth : (i + 1) * depth] for i in range(3))
        mx, vx = self.mean, self.variance
        vy, cov = yy - my * my, xy - mx * my
        numerator = (2 * mx * my + _C1) * (2 * cov + _C2)
        index = numerator / ((mx * mx + my * my + _C1) * (vx + vy + _C2))
        return float(index.mean(dtype=np.float64))

    def psnr(self, image: Image.Image) -> float:
        """PSNR of ``image`` against this picture in dB; ``inf`` if identical."""
        mse = float(np.mean((self.pixels - self._candidate(image)) ** 2, dtype=np.float64))
        return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def image_ssim(a: Image.Image, b: Image.Image) -> float:
    """Mean structural similarity of two images of one size: 1.0 is identical.

    Raises:
        ValueError: the sizes differ.
    """
    return Reference(a, with_alpha=_has_alpha(a) or _has_alpha(b)).ssim(b)


def image_psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio in dB of two images of one size; ``inf`` if identical.

    Raises:
        ValueError: the sizes differ.
    """
    return Reference(a, with_alpha=_has_alpha(a) or _has_alpha(b)).psnr(b)
