"""The measurements behind ``input_kind``'s rule, on the luma of the crop it looks at (float32, 0-255).

noise_level: Immerkaer's noise estimate in the flattest 8x8 blocks, and how noise-like they are.
grid_strength: the 8-px JPEG block grid against the steps inside the blocks.
fine_detail: how much fine detail the spectrum keeps, above its noise floor too.
"""

from __future__ import annotations

import numpy as np

IMMERKAER_MASK = ((1, -2, 1), (-2, 4, -2), (1, -2, 1))
FLATTEST = 0.1  # share of the 8x8 blocks that count as "flattest"
STEP_CLIP = 12.0  # grey levels: larger steps are edges, not blocking
GRID_MIN_BLOCKS = 6  # fewer blocks across than this are too few edges to tell a grid from the content
DRAWN_VALUES = 2  # an 8x8 block of at most this many luma values was drawn, not decoded from a JPEG
GRID_EVERY_BLOCK = 0.25  # each block edge of a 16 or 24 px cycle has at least this share of the strongest one's step


def noise_level(luma: np.ndarray) -> tuple[float, float]:
    """(sigma, texture) of the flattest FLATTEST share of the 8x8 blocks.

    sigma is Immerkaer's estimate in grey levels: the mask [[1,-2,1],[-2,4,-2],[1,-2,1]]
    is zero on any plane and linear ramp, so smooth content does not count;
    sigma = sqrt(pi/2) / 6 * mean |response|. Fine texture (fur, fabric, a small
    busy image) answers the mask too; texture is the blocks' structure per unit
    of sigma: noise alone gives about 1.1, texture several times more.
    """
    y = luma
    h, w = y.shape
    r = sum(
        weight * y[i : h - 2 + i, j : w - 2 + j] for i, row in enumerate(IMMERKAER_MASK) for j, weight in enumerate(row)
    )
    bh, bw = r.shape[0] // 8, r.shape[1] // 8
    response = _block_mean(np.abs(r), bh, bw)
    # Flattest by the content's own gradients (on the image averaged in 2x2, which
    # halves the noise), not by the noise estimate itself, which would pick the
    # blocks where the noise happens to be low and bias the level down.
    structure = _block_mean(_gradient(_box2(y[1:-1, 1:-1])), bh, bw, cell=4)
    count = max(1, int(len(response) * FLATTEST))
    flattest = np.argpartition(structure, count - 1)[:count]
    sigma = np.sqrt(np.pi / 2) / 6 * response[flattest]
    texture = float(np.median(structure[flattest] / np.maximum(sigma, 1e-3)))
    return float(sigma.mean()), texture


def _block_mean(x: np.ndarray, bh: int, bw: int, cell: int = 8) -> np.ndarray:
    return x[: bh * cell, : bw * cell].reshape(bh, cell, bw, cell).mean(axis=(1, 3)).ravel()


def _box2(y: np.ndarray) -> np.ndarray:
    h, w = y.shape[0] // 2 * 2, y.shape[1] // 2 * 2
    return y[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def _gradient(y: np.ndarray) -> np.ndarray:
    g = np.zeros_like(y)
    g[:, :-1] += np.abs(np.diff(y, axis=1))
    g[:-1, :] += np.abs(np.diff(y, axis=0))
    return g


def grid_strength(luma: np.ndarray) -> tuple[float, float]:
    """How much stronger the 8-px block edges are than any step inside the blocks (1.0 = no grid),
    across rows and across columns.

    A block edge is a step that its neighbours do not predict: |d[i] - (d[i-1] + d[i+1]) / 2|
    for the steps d between neighbouring pixels, so ramps and their quantisation
    count alike at every phase. Clipped at STEP_CLIP levels so that a few real
    edges do not outweigh the small, everywhere-present block edges of a JPEG.

    Steps that touch a drawn block (``drawn_blocks``) do not count: a flat UI laid out on an 8-px grid
    steps on the block edges only, but a JPEG leaves no block it crossed with two values or fewer.
    """
    drawn = drawn_blocks(luma)
    ratios = []
    for axis in (0, 1):
        d = np.diff(luma, axis=axis)
        d, m = (d, drawn) if axis == 1 else (d.T, drawn.T)
        keep = ~(m[:, 1:-2] | m[:, 2:-1])  # the pixels either side of the steps d[:, 1:-1]
        excess = (np.minimum(np.abs(d[:, 1:-1] - (d[:, :-2] + d[:, 2:]) / 2), STEP_CLIP) * keep).mean(axis=0)
        # excess[k] is the step d[k + 1], so excess[6:] starts on d[7], the step between pixels 7 and 8: a block edge.
        ratios.append(_block_edge_ratio(excess[6:]))
    return float(ratios[0]), float(ratios[1])


def drawn_blocks(luma: np.ndarray) -> np.ndarray:
    """Per pixel: in an 8x8 block (on the JPEG grid) of at most DRAWN_VALUES luma values, so drawn, not decoded.

    A flat fill, a 1-px line or a one-colour glyph on its background; a decoded JPEG's block rings around any
    step in it (Set5/Set14 /4 at q50-92: at most 12% of the blocks hold two values or fewer, all flat areas;
    flat UI screenshots 99-100%).
    """
    h, w = luma.shape
    bh, bw = h // 8, w // 8
    blocks = np.sort(luma[: bh * 8, : bw * 8].reshape(bh, 8, bw, 8).transpose(0, 2, 1, 3).reshape(bh, bw, 64), axis=2)
    few = 1 + np.count_nonzero(np.diff(blocks, axis=2), axis=2) <= DRAWN_VALUES
    drawn = np.zeros((h, w), bool)
    drawn[: bh * 8, : bw * 8] = np.repeat(np.repeat(few, 8, axis=0), 8, axis=1)
    return drawn


def _block_edge_ratio(steps: np.ndarray) -> float:
    """steps[i]: the mean step excess with block edges at i = 0, 8, 16, ...; their strength over the strongest
    phase inside the blocks, or 1.0 where the edges belong to a pattern rather than a JPEG."""
    if len(steps) < 8 * GRID_MIN_BLOCKS:
        return 1.0
    phases = _fold(steps, 8)
    if phases.max() < 1e-6:
        return 1.0  # no step left to measure: flat, or drawn throughout
    # Compared with the strongest inner phase, not their mean: a pattern whose period is not a multiple of 8
    # (4, 6, 12 px...) lands on other phases as often as on the block edge. Phases 1 and 7 are left out because
    # a block edge's excess spills half onto them.
    ratio = phases[0] / max(float(phases[2:7].max()), 1e-6)
    for blocks in (2, 3):
        # A pattern every 16 or 24 px lands on the block edge only, but on every second or third one, in every cycle.
        cycles = steps[: len(steps) // (8 * blocks) * 8 * blocks].reshape(-1, blocks, 8)
        edges = cycles[:, :, 0] - cycles[:, :, 2:7].mean(axis=(1, 2))[:, None]
        strongest = edges.max(axis=1)
        live = strongest > 1e-3
        if live.sum() >= 3 and np.all(edges[live].min(axis=1) < GRID_EVERY_BLOCK * strongest[live]):
            return 1.0
    return min(ratio, 99.0)


def _fold(steps: np.ndarray, period: int) -> np.ndarray:
    """The mean of steps at each phase of a period (whole periods only)."""
    n = len(steps) // period * period
    return steps[:n].reshape(-1, period).mean(axis=0)


def fine_detail(luma: np.ndarray) -> tuple[float, float, float]:
    """(finest, upper, mid): three measures of the detail a blur removes; (1, 1, 1) for a flat image.

    finest: the finest band's spectral power (0.375-0.5 cycles/px) per unit of the mid band's (0.125-0.25).
    Noise fills the finest band, so a blurred and then noisy image keeps as much there as a sharp one.

    upper and mid count each band's power above the finest band's level: in a blurred image the bands
    the blur emptied hold only what came after it (noise, the rounding to integers), all at that level
    whatever its strength, while a clean image's spectrum keeps falling to the finest band. upper: the upper
    band's (0.25-0.375) per unit of the mid band's; mid: the mid band's per unit of the low band's
    (0.0625-0.125), for a blur so strong that the mid band too is down at the floor (upper is then a ratio
    of two noises).

    Medians over the frequency bins, not means: a periodic pattern (a ruled table, a hatch) or a band-limited
    texture fills a few bins only, so it cannot pass for the image's spectrum.
    """
    y = luma - luma.mean()
    h, w = y.shape
    power = np.abs(np.fft.rfft2(y * np.outer(np.hanning(h), np.hanning(w)))) ** 2
    freq = np.maximum(np.abs(np.fft.fftfreq(h))[:, None], np.fft.rfftfreq(w)[None, :])

    def band(mask: np.ndarray) -> float:
        return float(np.median(power[mask]))

    low, mid = band((freq >= 0.0625) & (freq <= 0.125)), band((freq > 0.125) & (freq < 0.25))
    upper, finest = band((freq >= 0.25) & (freq <= 0.375)), band(freq > 0.375)
    if mid <= 1e-9:
        return 1.0, 1.0, 1.0
    return finest / mid, _excess(upper, mid, finest), _excess(mid, low, finest)


def _excess(band: float, reference: float, floor: float) -> float:
    return max(band - floor, 0.0) / max(reference - floor, reference * 1e-3, 1e-9)
