"""Image I/O: content sniffing, orientation, colour modes, 16-bit, metadata, rejects, safe writes."""

from __future__ import annotations

import io

import numpy as np
import png
import pytest
import tifffile
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps, PngImagePlugin

from srgan_studio.core.atomic import TEMP_MARK
from srgan_studio.core.errors import ImageReadError, ImageWriteError
from srgan_studio.core.imageio import (
    Image,
    ImageMeta,
    format_from_suffix,
    read_image,
    write_image,
)

RNG = np.random.default_rng(7)
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


def _rgb(h=24, w=32):
    return RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _exif(orientation=None, make="StudioCam"):
    e = PILImage.Exif()
    e[0x010F] = make
    if orientation:
        e[0x0112] = orientation
    return e


# ---------------------------------------------------------------- reading


def test_png_roundtrip_is_exact(tmp_path):
    arr = _rgb()
    PILImage.fromarray(arr).save(tmp_path / "a.png")
    img = read_image(tmp_path / "a.png")
    assert img.color.dtype == np.uint8 and img.bits == 8
    assert np.array_equal(img.color, arr)
    assert not img.has_alpha and not img.is_grey
    assert (img.height, img.width) == arr.shape[:2]
    assert img.meta.format == "PNG" and img.meta.source == tmp_path / "a.png"


def test_format_is_sniffed_not_taken_from_the_name(tmp_path):
    arr = _rgb()
    PILImage.fromarray(arr).save(tmp_path / "really_png.jpg", format="PNG")
    img = read_image(tmp_path / "really_png.jpg")
    assert img.meta.format == "PNG"
    assert np.array_equal(img.color, arr)


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "TIFF", "BMP"])
def test_reads_every_supported_format(tmp_path, fmt):
    arr = _rgb()
    PILImage.fromarray(arr).save(tmp_path / "x.img", format=fmt)
    img = read_image(tmp_path / "x.img")
    assert img.meta.format == fmt
    assert img.color.shape == arr.shape
    if fmt in ("TIFF", "BMP"):
        assert np.array_equal(img.color, arr)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_and_reset(tmp_path, orientation):
    arr = _rgb(10, 16)
    PILImage.fromarray(arr).save(tmp_path / "o.png", exif=_exif(orientation))
    expected = np.asarray(ImageOps.exif_transpose(PILImage.open(tmp_path / "o.png")).convert("RGB"))
    img = read_image(tmp_path / "o.png")
    assert np.array_equal(img.color, expected)
    exif = PILImage.Exif()
    exif.load(img.meta.exif)
    assert exif.get(0x0112) == 1
    assert exif.get(0x010F) == "StudioCam"


def test_grey_stays_grey_with_alpha(tmp_path):
    grey = RNG.integers(0, 256, (12, 9), dtype=np.uint8)
    alpha = RNG.integers(0, 256, (12, 9), dtype=np.uint8)
    PILImage.fromarray(np.dstack([grey, alpha]), mode="LA").save(tmp_path / "la.png")
    img = read_image(tmp_path / "la.png")
    assert img.is_grey and img.color.shape == (12, 9, 1)
    assert np.array_equal(img.color[..., 0], grey) and np.array_equal(img.alpha, alpha)


def test_palette_with_transparency_becomes_rgba(tmp_path):
    p = PILImage.new("P", (8, 6))
    p.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    px = np.zeros((6, 8), np.uint8)
    px[:, 4:] = 1
    p.putdata(px.ravel().tolist())
    p.info["transparency"] = 0
    p.save(tmp_path / "p.png", transparency=0)
    img = read_image(tmp_path / "p.png")
    assert img.has_alpha
    assert (img.alpha[:, :4] == 0).all() and (img.alpha[:, 4:] == 255).all()
    assert (img.color[:, 4:] == [0, 255, 0]).all()


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    PILImage.new("CMYK", (8, 8), (0, 255, 255, 0)).save(tmp_path / "c.jpg")  # pure red in CMYK
    img = read_image(tmp_path / "c.jpg")
    assert img.color.shape == (8, 8, 3)
    r, g, b = img.color.reshape(-1, 3).mean(axis=0)
    assert r > 200 and g < 60 and b < 60


def test_16bit_rgb_png_keeps_16_bits(tmp_path):
    arr = RNG.integers(0, 65536, (10, 7, 3), dtype=np.uint16)
    with open(tmp_path / "d.png", "wb") as fh:
        png.Writer(7, 10, greyscale=False, bitdepth=16).write(fh, arr.reshape(10, -1).tolist())
    img = read_image(tmp_path / "d.png")
    assert img.bits == 16 and np.array_equal(img.color, arr)


def test_16bit_grey_png_keeps_16_bits(tmp_path):
    arr = RNG.integers(0, 65536, (10, 7), dtype=np.uint16)
    PILImage.fromarray(arr).save(tmp_path / "g.png")
    img = read_image(tmp_path / "g.png")
    assert img.is_grey and img.bits == 16 and np.array_equal(img.color[..., 0], arr)


def test_16bit_rgb_tiff_keeps_16_bits(tmp_path):
    arr = RNG.integers(0, 65536, (9, 11, 3), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "t.tif", arr, photometric="rgb", compression="zlib")
    img = read_image(tmp_path / "t.tif")
    assert img.bits == 16 and np.array_equal(img.color, arr)


# ---------------------------------------------------------------- rejects


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty.png.*empty"):
        read_image(tmp_path / "empty.png")


def test_text_file_with_an_image_name(tmp_path):
    (tmp_path / "notes.jpg").write_text("hello, not a picture\n" * 20)
    with pytest.raises(ImageReadError, match="notes.jpg.*not an image"):
        read_image(tmp_path / "notes.jpg")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_file(tmp_path, fmt):
    buf = io.BytesIO()
    PILImage.fromarray(_rgb(64, 64)).save(buf, format=fmt)
    data = buf.getvalue()
    (tmp_path / "cut.img").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="cut.img"):
        read_image(tmp_path / "cut.img")


def test_missing_file(tmp_path):
    with pytest.raises(ImageReadError, match="not found"):
        read_image(tmp_path / "nope.png")


def test_decompression_bomb_limit_is_adjustable(tmp_path):
    PILImage.fromarray(_rgb(40, 50)).save(tmp_path / "big.png")
    with pytest.raises(ImageReadError, match="over the limit"):
        read_image(tmp_path / "big.png", max_pixels=1000)
    assert read_image(tmp_path / "big.png", max_pixels=2000).width == 50
    assert PILImage.MAX_IMAGE_PIXELS is not None  # Pillow's own guard stays on


# ---------------------------------------------------------------- writing


def _img(color, alpha=None, **meta):
    return Image(color, alpha, ImageMeta(**meta))


@pytest.mark.parametrize("fmt,ext", [("PNG", ".png"), ("JPEG", ".jpg"), ("WEBP", ".webp"), ("TIFF", ".tif")])
def test_metadata_is_kept_and_dpi_scaled(tmp_path, fmt, ext):
    exif = _exif(1).tobytes()
    img = _img(_rgb(), icc=SRGB_ICC, exif=exif, xmp=XMP, dpi=(72.0, 72.0), format="PNG")
    out = write_image(img, tmp_path / f"m{ext}", dpi_scale=4.0)
    back = read_image(out)
    assert back.meta.format == fmt
    assert back.meta.icc == SRGB_ICC
    e = PILImage.Exif()
    e.load(back.meta.exif)
    assert e.get(0x010F) == "StudioCam"
    assert back.meta.xmp is not None and b"xmpmeta" in back.meta.xmp
    if fmt != "WEBP":  # WebP has no resolution field
        assert back.meta.dpi == pytest.approx((288.0, 288.0), abs=0.6)


def test_no_metadata_drops_exif_but_keeps_icc(tmp_path):
    img = _img(_rgb(), icc=SRGB_ICC, exif=_exif().tobytes(), xmp=XMP, dpi=(300.0, 300.0))
    back = read_image(write_image(img, tmp_path / "n.png", keep_metadata=False))
    assert back.meta.icc == SRGB_ICC
    assert back.meta.exif is None and back.meta.xmp is None and back.meta.dpi is None


@pytest.mark.parametrize("channels,alpha", [(3, False), (3, True), (1, False), (1, True)])
@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_16bit_write_roundtrip(tmp_path, channels, alpha, ext):
    color = RNG.integers(0, 65536, (9, 13, channels), dtype=np.uint16)
    a = RNG.integers(0, 65536, (9, 13), dtype=np.uint16) if alpha else None
    out = write_image(_img(color, a, icc=SRGB_ICC, dpi=(100.0, 100.0)), tmp_path / f"w{ext}", dpi_scale=2)
    back = read_image(out)
    assert back.bits == 16
    assert np.array_equal(back.color, color)
    if alpha:
        assert np.array_equal(back.alpha, a)
    assert back.meta.icc == SRGB_ICC
    assert back.meta.dpi == pytest.approx((200.0, 200.0), abs=0.6)


def test_16bit_to_jpeg_is_8bit(tmp_path):
    color = np.full((8, 8, 3), 257 * 200, np.uint16)
    back = read_image(write_image(_img(color), tmp_path / "j.jpg", quality=100))
    assert back.bits == 8 and abs(int(back.color.mean()) - 200) <= 1


def test_jpeg_with_alpha_composites_over_white(tmp_path):
    color = np.zeros((8, 8, 3), np.uint8)
    alpha = np.zeros((8, 8), np.uint8)
    back = read_image(write_image(_img(color, alpha), tmp_path / "t.jpg"))
    assert back.color.min() >= 250  # transparent becomes white, never black


def test_png_alpha_roundtrip(tmp_path):
    color, alpha = _rgb(), RNG.integers(0, 256, (24, 32), dtype=np.uint8)
    back = read_image(write_image(_img(color, alpha), tmp_path / "a.png"))
    assert np.array_equal(back.color, color) and np.array_equal(back.alpha, alpha)


def test_refuses_to_overwrite_unless_asked(tmp_path):
    target = tmp_path / "keep.png"
    target.write_bytes(b"precious")
    with pytest.raises(ImageWriteError, match="keep.png.*already exists"):
        write_image(_img(_rgb()), target)
    assert target.read_bytes() == b"precious"
    write_image(_img(_rgb()), target, overwrite=True)
    assert read_image(target).width == 32


def test_write_errors_are_clear_and_leave_no_partials(tmp_path):
    with pytest.raises(ImageWriteError, match="folder does not exist"):
        write_image(_img(_rgb()), tmp_path / "missing" / "x.png")
    with pytest.raises(ImageWriteError, match="cannot write BMP"):
        write_image(_img(_rgb()), tmp_path / "x.bmp")
    with pytest.raises(ImageWriteError, match="output format"):
        write_image(_img(_rgb()), tmp_path / "x.unknown")
    assert not list(tmp_path.glob(f"{TEMP_MARK}*"))


def test_format_from_suffix():
    assert format_from_suffix("a/b.JPG") == "JPEG"
    assert format_from_suffix("x.tiff") == "TIFF"
    assert format_from_suffix("x.txt") is None


def test_xmp_in_png_is_read(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    PILImage.fromarray(_rgb()).save(tmp_path / "x.png", pnginfo=info)
    assert read_image(tmp_path / "x.png").meta.xmp == XMP


def test_missing_16bit_packages_give_one_line_errors_naming_the_file(tmp_path, monkeypatch):
    import sys

    arr = RNG.integers(0, 65536, (6, 5, 3), dtype=np.uint16)
    with open(tmp_path / "d.png", "wb") as fh:
        png.Writer(5, 6, greyscale=False, bitdepth=16).write(fh, arr.reshape(6, -1).tolist())
    tifffile.imwrite(tmp_path / "t.tif", arr, photometric="rgb")
    monkeypatch.setitem(sys.modules, "png", None)  # import png -> ImportError
    monkeypatch.setitem(sys.modules, "tifffile", None)
    with pytest.raises(ImageReadError, match="pypng") as err:
        read_image(tmp_path / "d.png")
    assert str(tmp_path / "d.png") in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ImageReadError, match="tifffile"):
        read_image(tmp_path / "t.tif")
    with pytest.raises(ImageWriteError, match="tifffile"):
        write_image(_img(arr, None), tmp_path / "out.tif")
    assert not (tmp_path / "out.tif").exists() and not list(tmp_path.glob(f"{TEMP_MARK}*"))
    # 8-bit files need neither package.
    PILImage.fromarray((arr >> 8).astype(np.uint8)).save(tmp_path / "e.png")
    assert read_image(tmp_path / "e.png").bits == 8
