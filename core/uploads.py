"""Files customers upload (a request's attachment, a police report): what they may be, judged
by their content, never by their name or declared type; their digest; the name and type
they are downloaded under."""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, UnidentifiedImageError

# What an upload may be, by its first bytes (never by its name or declared type).
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
# Any phone's photo fits; decoding one takes at most about 160 MB. A few kilobytes can claim
# billions of pixels, so the header's size is checked before a single pixel is decoded.
IMAGE_MAX_PIXELS = 40_000_000
# The extension of each accepted type, as detected from the file's content.
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


_STRICT = threading.Lock()


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """WeasyPrint, once imported, turns on Pillow's global LOAD_TRUNCATED_IMAGES, with which
    load() fills broken or missing data with black instead of failing: the check needs it
    off while it decodes. (WeasyPrint renders only the app's own static images, never
    truncated, so the moment it is off does not matter to it.)"""
    with _STRICT:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


def attachment_type(upload: UploadedFile[bytes]) -> str:
    """The file's real type: a PDF, or a PNG or JPEG that decodes whole within
    IMAGE_MAX_PIXELS. Anything else is a ValidationError that says why."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    detected = next((kind for magic, kind in SIGNATURES.items() if head.startswith(magic)), None)
    if detected is None:
        raise forms.ValidationError(_("Si possono allegare solo PDF e immagini PNG o JPEG valide."))
    if detected in IMAGE_FORMATS:
        try:
            _check_image(upload, IMAGE_FORMATS[detected])
        finally:
            upload.seek(0)
    return detected


def _check_image(upload: UploadedFile[bytes], image_format: str) -> None:
    too_large = forms.ValidationError(
        _(
            "L'immagine è troppo grande: al massimo %(megapixels)d megapixel "
            "(per esempio 8000 × 5000 pixel). Riducila e allegala di nuovo."
        )
        % {"megapixels": IMAGE_MAX_PIXELS // 1_000_000}
    )
    try:
        with warnings.catch_warnings():
            # Pillow only warns past its own limit (and refuses at twice it): a refusal here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=[image_format]) as image:
                width, height = image.size
                if width * height > IMAGE_MAX_PIXELS:
                    raise too_large
                image.verify()  # the chunks' checksums
            upload.seek(0)
            with _strict_decoding(), Image.open(upload, formats=[image_format]) as image:
                # Every pixel: a valid header in front of garbage fails only here.
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise forms.ValidationError(
            _("L'immagine è danneggiata o incompleta: non si riesce ad aprirla.")
        ) from None


def checked_attachment(
    upload: UploadedFile[bytes] | None,
) -> tuple[UploadedFile[bytes] | None, str]:
    """An optional upload and its type detected from its content (`attachment_type`),
    within ATTACHMENT_MAX_BYTES; a ValidationError that says why otherwise."""
    if not upload:
        return None, ""
    if (upload.size or 0) > settings.ATTACHMENT_MAX_BYTES:
        raise forms.ValidationError(_("Il file è troppo grande: al massimo 5 MB."))
    return upload, attachment_type(upload)


def sha256_of(upload: UploadedFile[bytes]) -> str:
    """The upload's digest, read in chunks; the file is left at its start for storing."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def download_name(original_name: str, content_type: str) -> str:
    """The name a file is downloaded under: the uploader's base name reduced to ASCII
    letters, digits, `_` and `-` (no path, quotes, control characters or dots), and the
    extension of the type detected from the content, never the one the uploader gave it."""
    base = re.split(r"[\\/]", original_name)[-1]
    stem = base.rpartition(".")[0] or base
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_stem).strip("_-")[:80]
    return f"{safe or 'allegato'}.{EXTENSIONS.get(content_type, 'bin')}"


def download_response(file: File[bytes], *, original_name: str, content_type: str) -> FileResponse:
    """Always a download, under a safe name with the detected type's extension, of the type
    detected at upload; `nosniff` stops a browser from guessing another one."""
    known = content_type in EXTENSIONS
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=download_name(original_name, content_type),
        content_type=content_type if known else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
