"""Blur kernels of Real-ESRGAN's degradation model, built vectorised on a grid.

Isotropic and anisotropic Gaussians, their generalised (exp of a power) and
plateau (1 / (1 + power)) forms, and the circular low-pass (sinc) kernel that
imitates ringing and overshoot. numpy only; every kernel sums to 1.
"""

from __future__ import annotations

import numpy as np

KERNEL_TYPES = ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")


def _grid(size: int) -> np.ndarray:
    ax = np.arange(size, dtype=np.float64) - (size - 1) / 2
    xx, yy = np.meshgrid(ax, ax)
    return np.stack([xx, yy], axis=-1)  # size x size x 2


def _quadratic_form(size: int, sigma_x: float, sigma_y: float, theta: float) -> np.ndarray:
    """x^T Sigma^-1 x over the grid, for the covariance rotated by ``theta``."""
    c, s = np.cos(theta), np.sin(theta)
    rot = np.array([[c, -s], [s, c]])
    inv_cov = rot @ np.diag([1.0 / sigma_x**2, 1.0 / sigma_y**2]) @ rot.T
    g = _grid(size)
    return np.einsum("...i,ij,...j->...", g, inv_cov, g)


def _normalised(kernel: np.ndarray) -> np.ndarray:
    return (kernel / kernel.sum()).astype(np.float32)


def gaussian_kernel(
    size: int, sigma_x: float, sigma_y: float, theta: float, kind: str = "gaussian", beta: float = 1.0
) -> np.ndarray:
    q = _quadratic_form(size, sigma_x, sigma_y, theta)
    if kind == "gaussian":
        return _normalised(np.exp(-0.5 * q))
    if kind == "generalized":
        return _normalised(np.exp(-0.5 * np.power(q, beta)))
    if kind == "plateau":
        return _normalised(1.0 / (np.power(q, beta) + 1.0))
    raise ValueError(f"unknown kernel kind {kind!r}")


def bessel_j1(x: np.ndarray) -> np.ndarray:
    """Bessel J1 (numpy has none): rational fit for |x| < 8, asymptotic form beyond; error ~1e-8."""
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    small = ax < 8.0
    y = x * x
    num = x * (
        72362614232.0
        + y * (-7895059235.0 + y * (242396853.1 + y * (-2972611.439 + y * (15704.48260 + y * -30.16036606))))
    )
    den = 144725228442.0 + y * (2300535178.0 + y * (18583304.74 + y * (99447.43394 + y * (376.9991397 + y))))
    out_small = num / den
    safe = np.where(small, 8.0, ax)
    z = 8.0 / safe
    y2 = z * z
    xx = safe - 2.356194491
    p1 = 1.0 + y2 * (0.183105e-2 + y2 * (-0.3516396496e-4 + y2 * (0.2457520174e-5 + y2 * -0.240337019e-6)))
    p2 = 0.04687499995 + y2 * (-0.2002690873e-3 + y2 * (0.8449199096e-5 + y2 * (-0.88228987e-6 + y2 * 0.105787412e-6)))
    out_big = np.sqrt(0.636619772 / safe) * (np.cos(xx) * p1 - z * np.sin(xx) * p2) * np.sign(x)
    return np.where(small, out_small, out_big)


def sinc_kernel(size: int, cutoff: float) -> np.ndarray:
    """2-D circular low-pass filter with angular cutoff ``cutoff`` (radians per pixel)."""
    r = np.hypot(*np.moveaxis(_grid(size), -1, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        k = cutoff * bessel_j1(cutoff * r) / (2 * np.pi * r)
    k[r == 0] = cutoff**2 / (4 * np.pi)
    return _normalised(k)


def random_beta(rng: np.random.Generator, low: float, high: float) -> float:
    """Half the draws below 1 and half above, as BasicSR does, so both shapes are seen equally."""
    if low < 1 < high and rng.random() < 0.5:
        return float(rng.uniform(low, 1.0))
    return float(rng.uniform(max(low, 1.0) if high > 1 else low, high))


def random_blur_kernel(
    rng: np.random.Generator,
    size: int,
    kind: str,
    sigma: tuple[float, float],
    betag: tuple[float, float],
    betap: tuple[float, float],
) -> np.ndarray:
    sx = float(rng.uniform(*sigma))
    if kind.endswith("iso") and not kind.endswith("aniso"):
        sy, theta = sx, 0.0
    else:
        sy, theta = float(rng.uniform(*sigma)), float(rng.uniform(-np.pi, np.pi))
    if kind.startswith("generalized"):
        return gaussian_kernel(size, sx, sy, theta, "generalized", random_beta(rng, *betag))
    if kind.startswith("plateau"):
        return gaussian_kernel(size, sx, sy, theta, "plateau", random_beta(rng, *betap))
    return gaussian_kernel(size, sx, sy, theta)


def convolve(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Same-size 2-D convolution of an HxWxC float image, reflect-padded, through the FFT."""
    k = kernel.shape[0]
    pad = k // 2
    mode = "reflect" if min(img.shape[:2]) > pad else "edge"
    padded = np.pad(img, ((pad, pad), (pad, pad), (0, 0)), mode=mode)
    h, w = padded.shape[:2]
    spec = np.fft.rfft2(padded, axes=(0, 1)) * np.fft.rfft2(kernel, s=(h, w))[..., None]
    full = np.fft.irfft2(spec, s=(h, w), axes=(0, 1))
    return full[k - 1 : k - 1 + img.shape[0], k - 1 : k - 1 + img.shape[1]].astype(np.float32)
