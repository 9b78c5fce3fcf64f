"""Photos leave with no location or other metadata, the right way up, and bombs are refused."""

from __future__ import annotations

import io
import warnings
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import ExifTags, Image, PngImagePlugin

from accreditation.evidence.content import UploadRejected, inspect_upload
from accreditation.evidence.images import (
    PREVIEW_MAX_SIDE,
    UNREADABLE_MESSAGE,
    clean_image,
    too_large_message,
)

from . import samples

# A home in Croydon: exactly what must never leave with a photo.
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (51.0, 22.0, 30.5),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (0.0, 5.0, 52.1),
}
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       b'22-rdf-syntax-ns#"><rdf:Description exif:GPSLatitude="51,22.5N" '
       b'xmlns:exif="http://ns.adobe.com/exif/1.0/"/></rdf:RDF></x:xmpmeta>')


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = GPS
    return exif


def marked_photo(size=(80, 40)) -> Image.Image:
    """Grey with a red top-left corner, so we can tell which way up it ends."""
    photo = Image.new("RGB", size, (128, 128, 128))
    photo.paste((255, 0, 0), (0, 0, 10, 10))
    return photo


def encode(photo: Image.Image, kind: str, **save) -> bytes:
    if isinstance(save.get("exif"), Image.Exif):
        # As bytes: pillow-heif then also writes the orientation as HEIF's own rotation
        # (irot), as phones do; HEIF readers ignore the EXIF copy of it.
        save["exif"] = save["exif"].tobytes()
    out = io.BytesIO()
    photo.save(out, format=kind, **save)
    return out.getvalue()


def clean(data: bytes, **options):
    with inspect_upload(io.BytesIO(data), filename="IMG_0042.HEIC") as checked:
        return clean_image(checked, **options)


def assert_no_metadata(data: bytes) -> Image.Image:
    result = Image.open(io.BytesIO(data))
    assert not result.getexif()
    assert not result.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Location"):
        assert key not in result.info, key
    for marker in (b"Exif\x00\x00", b"PhoneMaker", b"GPSLatitude", b"xmpmeta", b"Croydon"):
        assert marker not in data, marker
    return result


@pytest.mark.parametrize("kind", ["JPEG", "HEIF"])
def test_gps_and_other_metadata_are_stripped(kind):
    original = encode(marked_photo(), kind, exif=exif_with_gps(), xmp=XMP)
    source = Image.open(io.BytesIO(original))
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo really has GPS
    cleaned = clean(original)
    assert cleaned.kind == "jpeg" and cleaned.content_type == "image/jpeg"
    assert cleaned.crc32 == zlib.crc32(cleaned.data)
    assert cleaned.size == len(cleaned.data)
    assert cleaned.display_filename == "IMG_0042.jpg"
    assert assert_no_metadata(cleaned.data).format == "JPEG"
    assert_no_metadata(cleaned.preview)


def test_png_text_and_exif_chunks_are_stripped():
    text = PngImagePlugin.PngInfo()
    text.add_text("Location", "Croydon")
    original = encode(marked_photo(), "PNG", exif=exif_with_gps(), pnginfo=text)
    assert b"eXIf" in original and b"Croydon" in original
    cleaned = clean(original)
    assert cleaned.kind == "jpeg"  # no transparency: a photo-sized JPEG
    assert_no_metadata(cleaned.data)


@pytest.mark.parametrize("kind", ["JPEG", "HEIF"])
def test_orientation_is_applied_before_metadata_goes(kind):
    # Orientation 6: the camera was turned; viewers rotate 90 degrees clockwise to show it.
    original = encode(marked_photo((80, 40)), kind, exif=exif_with_gps(orientation=6))
    cleaned = clean(original)
    result = Image.open(io.BytesIO(cleaned.data)).convert("RGB")
    assert (cleaned.width, cleaned.height) == result.size == (40, 80)
    red, green, _blue = result.getpixel((result.width - 3, 2))  # top-left is now top-right
    assert red > 200 and green < 60


def test_transparent_png_stays_png_with_alpha():
    photo = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    photo.paste((0, 0, 255, 255), (10, 10, 40, 40))
    cleaned = clean(encode(photo, "PNG", exif=exif_with_gps()))
    assert (cleaned.kind, cleaned.content_type) == ("png", "image/png")
    assert cleaned.display_filename == "IMG_0042.png"
    result = assert_no_metadata(cleaned.data)
    assert result.mode == "RGBA" and result.getpixel((0, 0))[3] == 0
    preview = Image.open(io.BytesIO(cleaned.preview))
    assert preview.format == "JPEG" and min(preview.getpixel((0, 0))) > 200  # white-ish


def test_preview_is_small_jpeg_keeping_the_shape():
    cleaned = clean(encode(marked_photo((1600, 900)), "JPEG"))
    preview = Image.open(io.BytesIO(cleaned.preview))
    assert preview.format == "JPEG"
    assert preview.size == (PREVIEW_MAX_SIDE, 180)


def test_cmyk_jpeg_becomes_rgb():
    cleaned = clean(samples.image("JPEG", mode="CMYK", colour=(0, 255, 255, 0)))
    assert Image.open(io.BytesIO(cleaned.data)).mode == "RGB"


@pytest.mark.parametrize(("width", "height"), [
    (8_000, 7_500),    # 60 MP: over our limit, under Pillow's warning threshold
    (10_000, 10_000),  # 100 MP: Pillow would only warn
    (14_000, 14_000),  # 196 MP: Pillow's own error
])
def test_decompression_bombs_are_refused_not_warned_about(width, height):
    bomb = samples.huge_png(width, height)
    assert len(bomb) < 200_000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UploadRejected) as refused:
            clean(bomb)
    assert refused.value.message == too_large_message(50_000_000)
    assert "50 megapixels" in refused.value.message


def test_pixel_limit_is_configurable():
    with pytest.raises(UploadRejected, match="at most 1 megapixels"):
        clean(samples.png(size=(1200, 1000)), max_pixels=1_000_000)


def test_truncated_photo_is_refused():
    data = encode(marked_photo((400, 300)), "JPEG")
    with pytest.raises(UploadRejected) as refused:
        clean(data[: len(data) // 2])
    assert refused.value.message == UNREADABLE_MESSAGE


def test_only_the_decoder_for_the_detected_kind_is_used():
    # A GIF body behind a PNG signature is not decoded as a GIF.
    with pytest.raises(UploadRejected):
        clean(b"\x89PNG\r\n\x1a\n" + samples.image("GIF"))


@given(st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n",
                        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"]),
       st.binary(max_size=2048))
def test_random_image_bodies_are_refused_cleanly(magic, body):
    try:
        checked = inspect_upload(io.BytesIO(magic + body), filename="x.jpg", max_bytes=4096)
    except UploadRejected:
        return
    with checked, pytest.raises(UploadRejected):
        clean_image(checked)
