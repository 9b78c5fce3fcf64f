"""Photos: re-encoded from pixels only, so no metadata (EXIF GPS location above all) survives.

Photos of homes for vulnerable young people must not reveal where the home is. Rather than
delete known metadata fields (and miss one), we copy the decoded pixels into a brand-new
image and encode that: EXIF, XMP, IPTC, comments, PNG text chunks, maker notes and extra
frames are all left behind. The EXIF orientation is applied to the pixels first, so the
photo stays the right way up.
"""

from __future__ import annotations

import io
import logging
import warnings
import zlib
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageCms, ImageOps

from .content import CheckedFile
from .errors import UploadRejected
from .filenames import sanitise_filename

log = logging.getLogger(__name__)

# Registered once: lets Pillow decode HEIC/HEIF (iPhone photos).
pillow_heif.register_heif_opener()

DEFAULT_MAX_PIXELS = 50_000_000  # above phones' 48-megapixel modes
PREVIEW_MAX_SIDE = 320
JPEG_QUALITY = 90
PREVIEW_QUALITY = 80
# The only decoder Pillow may use for each kind found by content.
DECODERS = {"jpeg": "JPEG", "png": "PNG", "heic": "HEIF"}

UNREADABLE_MESSAGE = "The photo could not be read. Take or save it again and upload the new file"
_SRGB = ImageCms.createProfile("sRGB")


def too_large_message(max_pixels: int) -> str:
    return (f"The photo is too large: it must be at most {max_pixels // 1_000_000} megapixels. "
            "Resize it or take it at a lower resolution")


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded photo with no metadata, and a small JPEG preview."""

    data: bytes
    size: int
    crc32: int
    content_type: str
    kind: str  # "jpeg" or "png"
    width: int
    height: int
    display_filename: str
    preview: bytes
    preview_content_type: str = "image/jpeg"


def _open(checked: CheckedFile, max_pixels: int) -> Image.Image:
    decoder = DECODERS.get(checked.kind)
    if decoder is None:
        raise ValueError(f"not an image kind: {checked.kind}")
    checked.stream.seek(0)
    try:
        # Pillow only *warns* between MAX_IMAGE_PIXELS and twice that; here every bomb is an
        # error. (catch_warnings is process-wide; workers are processes, so that is fine.)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(checked.stream, formats=[decoder])
            if image.width * image.height > max_pixels:
                raise UploadRejected(too_large_message(max_pixels))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRejected(too_large_message(max_pixels)) from None
    except UploadRejected:
        raise
    except Exception as error:  # noqa: BLE001 - any decoder failure means "unreadable"
        log.info("photo refused by the decoder: %r", error)
        raise UploadRejected(UNREADABLE_MESSAGE) from None
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """The pixels in sRGB (in place where possible), so colours stay right once the ICC
    profile is dropped. Grey and unprofiled images are returned as they are."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        if image.mode == "CMYK":
            return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        ImageCms.profileToProfile(image, source, _SRGB, inPlace=True)
    except (ImageCms.PyCMSError, OSError, ValueError) as error:
        log.info("ICC profile ignored: %r", error)
    return image


def _has_transparency(image: Image.Image) -> bool:
    if "transparency" in image.info:
        return True
    if image.mode in ("RGBA", "LA", "PA"):
        low, _high = image.getchannel("A").getextrema()
        return low < 255
    return False


def clean_image(checked: CheckedFile, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> CleanImage:
    """Re-encode a JPEG, PNG or HEIC upload as a metadata-free JPEG (PNG if it has
    transparency), upright, plus a JPEG preview at most ``PREVIEW_MAX_SIDE`` pixels.

    Raises ``UploadRejected`` for photos over ``max_pixels`` (checked from the header, before
    decoding) and for anything the decoder cannot read.
    """
    image = _open(checked, max_pixels)
    try:
        keep_alpha = checked.kind == "png" and _has_transparency(image)
        if keep_alpha and image.mode != "RGBA":
            converted = image.convert("RGBA")  # applies a palette's or tRNS transparency
            image.close()
            image = converted
        ImageOps.exif_transpose(image, in_place=True)
        pixels = _to_srgb(image)
        # A new image gets the pixels and nothing else: no info dict, no EXIF, no ICC
        # profile (paste converts the mode, e.g. CMYK or palette to RGB).
        clean = Image.new("RGBA" if keep_alpha else "RGB", pixels.size)
        clean.paste(pixels if pixels.mode in ("RGB", "RGBA", "L") else pixels.convert("RGB"))
    except (OSError, ValueError, SyntaxError) as error:
        log.info("photo refused while converting: %r", error)
        raise UploadRejected(UNREADABLE_MESSAGE) from None
    finally:
        image.close()
    out = io.BytesIO()
    if keep_alpha:
        kind, content_type = "png", "image/png"
        clean.save(out, format="PNG", optimize=False)
    else:
        kind, content_type = "jpeg", "image/jpeg"
        clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    data = out.getvalue()
    return CleanImage(
        data=data, size=len(data), crc32=zlib.crc32(data),
        content_type=content_type, kind=kind, width=clean.width, height=clean.height,
        display_filename=sanitise_filename(checked.display_filename,
                                           extension="png" if keep_alpha else "jpg"),
        preview=_preview(clean),
    )


def _preview(clean: Image.Image) -> bytes:
    preview = clean.copy()
    preview.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE), Image.Resampling.LANCZOS)
    if preview.mode == "RGBA":
        # JPEG has no transparency: show transparent parts as white, as a page would.
        background = Image.new("RGB", preview.size, "white")
        background.paste(preview, mask=preview.getchannel("A"))
        preview = background
    out = io.BytesIO()
    preview.save(out, format="JPEG", quality=PREVIEW_QUALITY)
    return out.getvalue()
