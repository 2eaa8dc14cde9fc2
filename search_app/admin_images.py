"""Uploaded images of the member settings: library logos and link-resolver link images.

An image is accepted when its *content* is a JPEG, PNG or GIF of at most 150 KB: the
first bytes must carry the format's signature, Pillow must identify the same format and
``verify()`` the file, and its pixel size must be sane. The name and the declared
content type are ignored (a text file renamed ``logo.png`` is refused). Accepted images
are stored under ``data_dir/logos/`` with a content-hash name
(``logo-211010-<sha256:16>.png``), written atomically, and served by the public
blueprint ``media`` at ``/media/logos/<name>`` (cached for a year: the name changes with
the content). The members file holds that site-relative path in ``Library.logo`` /
``Library.resolver_link_image``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
import warnings
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from werkzeug.wrappers import Response

__all__ = [
    "MAX_IMAGE_BYTES",
    "ImageError",
    "bp",
    "check_image",
    "image_dir",
    "public_path",
    "store_image",
]

MAX_IMAGE_BYTES = 150 * 1024
MAX_PIXELS = 4096 * 4096
#: signature -> (format name, Pillow format, file extension)
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "PNG", "png"),
    (b"GIF87a", "GIF", "gif"),
    (b"GIF89a", "GIF", "gif"),
)
_NAME = re.compile(r"^(?:logo|resolver)-[A-Za-z0-9_.-]{1,64}-[0-9a-f]{16}\.(?:jpg|png|gif)$")
PUBLIC_PREFIX = "/media/logos/"

bp = Blueprint("media", __name__, url_prefix="/media")


class ImageError(ValueError):
    """An uploaded image was refused; ``field`` names the form field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _signature(data: bytes) -> tuple[str, str] | None:
    for magic, fmt, ext in _SIGNATURES:
        if data.startswith(magic):
            return fmt, ext
    return None


def check_image(data: bytes, field: str) -> str:
    """The file extension (``jpg``/``png``/``gif``) of an acceptable image, else
    :class:`ImageError` saying what is wrong."""
    if not data:
        raise ImageError(_("choose an image file (JPEG, PNG or GIF)"), field)
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(
            _(
                "the image has %(size)s KB; at most %(limit)s KB are allowed",
                size=f"{len(data) / 1024:.0f}",
                limit=MAX_IMAGE_BYTES // 1024,
            ),
            field,
        )
    found = _signature(data)
    if found is None:
        raise ImageError(_("the file is not a JPEG, PNG or GIF image (checked by content)"), field)
    fmt, ext = found
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != fmt:
                    raise ImageError(_("the file claims to be %(fmt)s but is not", fmt=fmt), field)
                width, height = image.size
                image.verify()
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning) as exc:
        raise ImageError(
            _("the %(fmt)s image is damaged or incomplete (%(error)s)", fmt=fmt, error=exc), field
        ) from None
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise ImageError(
            _("the image is %(width)s×%(height)s pixels: too large", width=width, height=height),
            field,
        )
    return ext


def image_dir() -> Path:
    """``data_dir/logos`` of the current app."""
    return Path(current_app.config["EFIRST_DATA_DIR"]) / "logos"


def store_image(data: bytes, kind: str, code: str, directory: Path | None = None) -> str:
    """Check and store ``data`` (``kind``: ``logo`` or ``resolver``); returns the file name."""
    ext = check_image(data, "logo" if kind == "logo" else "resolver_link_image")
    directory = directory or image_dir()
    directory.mkdir(parents=True, exist_ok=True)
    safe_code = re.sub(r"[^A-Za-z0-9_.-]", "_", code)[:64]
    name = f"{kind}-{safe_code}-{hashlib.sha256(data).hexdigest()[:16]}.{ext}"
    target = directory / name
    if not target.exists():
        handle, temp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
    return name


def public_path(name: str) -> str:
    """The site-relative URL of a stored image (what the members file keeps)."""
    return PUBLIC_PREFIX + name


@bp.get("/logos/<name>")
def logo(name: str) -> Response:
    """A stored image (public: logos appear on the portal)."""
    if not _NAME.match(name):
        abort(404)
    response = send_from_directory(image_dir(), name, max_age=365 * 24 * 3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
