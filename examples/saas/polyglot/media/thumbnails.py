"""Thumbnails with Pillow, in worker processes: decoding and resizing never run in the
threads that answer requests (nor hold their GIL)."""
import hashlib
import base64
import io
import warnings

from PIL import Image, ImageOps

# About 40 megapixels, as the TypeScript implementation: refuse decompression bombs.
Image.MAX_IMAGE_PIXELS = 40_000_000
warnings.simplefilter("error", Image.DecompressionBombWarning)


def etag_of(data: bytes) -> str:
    return '"' + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()[:32] + '"'


def make_thumbnails(data: bytes, widths: dict) -> dict:
    """The image's size and one WebP per variant, fitting a width x width box, never enlarged."""
    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened)
        image.load()
    width, height = image.size
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    thumbnails = []
    for variant, box in widths.items():
        copy = image.copy()
        copy.thumbnail((box, box), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        copy.save(out, format="WEBP", quality=80)
        made = out.getvalue()
        thumbnails.append({"variant": variant, "width": copy.size[0], "height": copy.size[1], "data": made, "etag": etag_of(made)})
    return {"width": width, "height": height, "thumbnails": thumbnails}
