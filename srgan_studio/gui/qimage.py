"""numpy <-> QImage without copies, for display only.

numpy is imported inside the functions: the window shows before numpy loads
(a third of the startup time on a busy 2-core machine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QImage

if TYPE_CHECKING:
    import numpy as np


def qimage_view(rgb: np.ndarray) -> QImage:
    """A QImage sharing ``rgb``'s memory (uint8 HxWx3, C-contiguous).

    The caller keeps ``rgb`` alive as long as the QImage; later writes into
    the array show on the next paint (the preview fills canvases this way).
    """
    import numpy as np

    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or not rgb.flags.c_contiguous:
        raise ValueError("qimage_view needs a C-contiguous uint8 HxWx3 array")
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888)


def qimage_to_rgb(qimg: QImage) -> tuple[np.ndarray, np.ndarray | None]:
    """A pasted QImage -> (uint8 HxWx3 colour, uint8 HxW alpha or None)."""
    import numpy as np

    has_alpha = qimg.hasAlphaChannel()
    fmt = QImage.Format.Format_RGBA8888 if has_alpha else QImage.Format.Format_RGB888
    img = qimg.convertToFormat(fmt)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    ch = 4 if has_alpha else 3
    buf = np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)
    arr = buf[:, : w * ch].reshape(h, w, ch).copy()
    if has_alpha:
        return np.ascontiguousarray(arr[:, :, :3]), np.ascontiguousarray(arr[:, :, 3])
    return arr, None


class DisplayImage:
    """The input photo as shown under not-yet-rendered blocks."""

    def __init__(self, rgb: np.ndarray):
        import numpy as np

        self.rgb = np.ascontiguousarray(rgb)
        self.qimage = qimage_view(self.rgb)

    @property
    def width(self) -> int:
        return self.rgb.shape[1]

    @property
    def height(self) -> int:
        return self.rgb.shape[0]
