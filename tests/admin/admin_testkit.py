"""Helpers for the admin-page tests: real images made with Pillow, signing in, CSRF
tokens taken from real pages, form posts."""

from __future__ import annotations

import io
import random
import re
from typing import Any

from flask.testing import FlaskClient
from PIL import Image

__all__ = [
    "LIBRARY",
    "OTHER",
    "PASSWORD",
    "csrf",
    "image_bytes",
    "login",
    "noise_png",
    "post",
    "upload",
]

PASSWORD = "correct horse battery"
LIBRARY = "211010"  # Peking University Library in the sample consortium
OTHER = "221010"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def image_bytes(fmt: str, size: tuple[int, int] = (64, 64), color: str = "#8a1c1c") -> bytes:
    """A real image file in ``fmt`` (JPEG, PNG, GIF)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def noise_png(side: int = 320, seed: int = 7) -> bytes:
    """A valid PNG that does not compress: far above 150 KB."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def csrf(client: FlaskClient, path: str = "/staff/login") -> str:
    page = client.get(path)
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def login(client: FlaskClient, username: str) -> None:
    token = csrf(client)
    response = client.post(
        "/staff/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def post(client: FlaskClient, target: str, data: dict[str, Any], page: str) -> Any:
    """POST ``data`` with the CSRF token of ``page``."""
    return client.post(target, data={"csrf_token": csrf(client, page), **data})


def upload(
    client: FlaskClient, target: str, field: str, content: bytes, name: str, page: str, **extra: Any
) -> Any:
    data = {"csrf_token": csrf(client, page), field: (io.BytesIO(content), name), **extra}
    return client.post(target, data=data, content_type="multipart/form-data")
