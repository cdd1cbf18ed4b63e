"""Image-quality metrics with the standard SR protocol (numpy only).

PSNR and SSIM are computed on the Y channel of BT.601 YCbCr (as MATLAB's
rgb2ycbcr), after cropping ``border`` pixels (usually the scale) from each side.
This is the protocol behind the paper figures (bicubic x4 Set5 = 28.42 dB);
RGB PSNR (BasicSR's default) is not comparable. ``texture_ratio`` and
``lattice_amplitude`` (the sub-pixel checkerboard) sit beside them, so training,
evaluation and the app score models with one implementation.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def to_float01(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint8:
        return img.astype(np.float64) / 255.0
    if img.dtype == np.uint16:
        return img.astype(np.float64) / 65535.0
    return img.astype(np.float64)


def rgb_to_y(img: np.ndarray) -> np.ndarray:
    """Y of BT.601 on the [16, 235] scale, from RGB (H, W, 3) in uint8/uint16 or float [0, 1]."""
    x = to_float01(img)
    if x.ndim == 2 or x.shape[2] == 1:
        grey = x.reshape(x.shape[0], x.shape[1])
        return 16.0 + 219.0 * grey
    return 16.0 + 65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]


def _crop(y: np.ndarray, border: int) -> np.ndarray:
    return y[border:-border, border:-border] if border > 0 else y


def _check(sr: np.ndarray, hr: np.ndarray) -> None:
    if sr.shape[:2] != hr.shape[:2]:
        raise ValueError(f"shapes differ: {sr.shape} vs {hr.shape}")


def psnr_y(sr: np.ndarray, hr: np.ndarray, border: int = 0) -> float:
    _check(sr, hr)
    a = _crop(rgb_to_y(sr), border)
    b = _crop(rgb_to_y(hr), border)
    # Quantise Y to 8-bit levels as the MATLAB protocol does.
    a, b = np.round(a), np.round(b)
    mse = float(np.mean((a - b) ** 2))
    if mse == 0:
        return float("inf")
    return 10.0 * np.log10(255.0**2 / mse)


def _gaussian_filter(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    k = len(kernel)
    rows = sliding_window_view(img, k, axis=1) @ kernel
    return sliding_window_view(rows, k, axis=0) @ kernel


def ssim_y(sr: np.ndarray, hr: np.ndarray, border: int = 0) -> float:
    """SSIM (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5, 'valid' filtering."""
    _check(sr, hr)
    a = np.round(_crop(rgb_to_y(sr), border))
    b = np.round(_crop(rgb_to_y(hr), border))
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    x = np.arange(11) - 5
    kernel = np.exp(-(x**2) / (2 * 1.5**2))
    kernel /= kernel.sum()
    mu_a, mu_b = _gaussian_filter(a, kernel), _gaussian_filter(b, kernel)
    s_aa = _gaussian_filter(a * a, kernel) - mu_a**2
    s_bb = _gaussian_filter(b * b, kernel) - mu_b**2
    s_ab = _gaussian_filter(a * b, kernel) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * s_ab + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (s_aa + s_bb + c2)
    return float(np.mean(num / den))


def laplacian_energy(img: np.ndarray, border: int = 0) -> float:
    """Mean squared 4-neighbour Laplacian of Y: high-frequency (texture) energy."""
    y = _crop(rgb_to_y(img), border)
    lap = 4 * y[1:-1, 1:-1] - y[:-2, 1:-1] - y[2:, 1:-1] - y[1:-1, :-2] - y[1:-1, 2:]
    return float(np.mean(lap**2))


def texture_ratio(sr: np.ndarray, hr: np.ndarray, border: int = 0) -> float:
    """Laplacian energy of SR over that of HR: 1.0 means HR-like texture,
    below 1 means over-smooth (typical of PSNR-trained models)."""
    _check(sr, hr)
    denom = laplacian_energy(hr, border)
    return laplacian_energy(sr, border) / denom if denom > 0 else float("nan")


def mod_crop(img: np.ndarray, scale: int) -> np.ndarray:
    h, w = img.shape[0] - img.shape[0] % scale, img.shape[1] - img.shape[1] % scale
    return img[:h, :w]


def lattice_amplitude(img: np.ndarray, period: int) -> float:
    """Summed amplitude (Y levels) of the period-``period`` pattern: the checkerboard strength."""
    y = rgb_to_y(img)
    h, w = y.shape[0] // period * period, y.shape[1] // period * period
    y = y[:h, :w] - y[:h, :w].mean()
    power = np.abs(np.fft.fft2(y)) ** 2
    total = 0.0
    for a in range(period):
        for b in range(period):
            if a == b == 0:
                continue
            fy, fx = a * h // period, b * w // period
            ring = [
                power[(fy + i) % h, (fx + j) % w]
                for i in range(-3, 4)
                for j in range(-3, 4)
                if max(abs(i), abs(j)) >= 2
            ]
            total += 2 * np.sqrt(max(power[fy, fx] - float(np.median(ring)), 0.0)) / (h * w)
    return float(total)
