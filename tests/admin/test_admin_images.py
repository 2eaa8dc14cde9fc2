"""Logo and link-image uploads: checked by content (signature + Pillow), 150 KB at most,
stored under data_dir/logos, served at /media/logos/, shown in the portal header."""

from __future__ import annotations

from pathlib import Path

import pytest
from admin_testkit import LIBRARY, OTHER, image_bytes, noise_png, upload

from router.members import load_members
from search_app.admin_images import MAX_IMAGE_BYTES, ImageError, check_image

SETTINGS = f"/admin/lib/{LIBRARY}/settings"
LOGO = f"/admin/lib/{LIBRARY}/logo"


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("GIF", "gif")])
def test_real_images_are_accepted(fmt: str, ext: str):
    assert check_image(image_bytes(fmt), "logo") == ext


def test_oversized_image_is_refused():
    data = noise_png()
    assert len(data) > MAX_IMAGE_BYTES
    with pytest.raises(ImageError, match="at most 150 KB") as caught:
        check_image(data, "logo")
    assert caught.value.field == "logo"


def test_text_renamed_png_is_refused():
    with pytest.raises(ImageError, match="not a JPEG, PNG or GIF"):
        check_image(b"this is not a picture, only text\n" * 3, "logo")


def test_truncated_png_is_refused():
    data = image_bytes("PNG", (200, 200))
    with pytest.raises(ImageError, match="damaged or incomplete"):
        check_image(data[: len(data) // 2], "logo")


def test_png_signature_on_gif_content_is_refused():
    gif = image_bytes("GIF")
    forged = b"\x89PNG\r\n\x1a\n" + gif[8:]
    with pytest.raises(ImageError):
        check_image(forged, "logo")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF"])
def test_logo_upload_reaches_the_portal(admin, client, members_file, tmp_path: Path, fmt: str):
    data = image_bytes(fmt)
    response = upload(admin, LOGO, "logo", data, f"logo.{fmt.lower()}", SETTINGS)
    assert response.status_code == 302
    logo = load_members(members_file)[LIBRARY].logo
    assert logo.startswith("/media/logos/logo-211010-")
    stored = tmp_path / "logos" / logo.rsplit("/", 1)[1]
    assert stored.read_bytes() == data
    with client.get(logo) as served:
        assert served.status_code == 200 and served.data == data
        kind = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}[fmt]
        assert served.mimetype == kind
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    header = client.get(f"/?lib={LIBRARY}").get_data(as_text=True)
    assert f'<img class="logo" src="{logo}"' in header


def test_fake_logo_upload_names_the_field_and_keeps_the_file(admin, members_file, tmp_path):
    before = members_file.read_bytes()
    response = upload(admin, LOGO, "logo", b"plain text\n", "logo.png", SETTINGS)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="logo-error"' in html and "checked by content" in html
    assert members_file.read_bytes() == before
    assert not (tmp_path / "logos").exists() or not any((tmp_path / "logos").iterdir())


def test_oversized_logo_upload_is_refused(admin, members_file):
    before = members_file.read_bytes()
    response = upload(admin, LOGO, "logo", noise_png(), "big.png", SETTINGS)
    assert response.status_code == 422
    assert "at most 150 KB" in response.get_data(as_text=True)
    assert members_file.read_bytes() == before


def test_without_logo_the_portal_shows_the_first_letter(client):
    header = client.get(f"/?lib={LIBRARY}&lang=en").get_data(as_text=True)
    assert '<span class="logo logo-letter" aria-hidden="true">P</span>' in header


def test_logo_removed_falls_back_to_the_letter(admin, client, members_file):
    upload(admin, LOGO, "logo", image_bytes("PNG"), "l.png", SETTINGS)
    from admin_testkit import post

    response = post(admin, f"/admin/lib/{LIBRARY}/logo/remove", {}, SETTINGS)
    assert response.status_code == 302
    assert load_members(members_file)[LIBRARY].logo == ""
    assert "logo-letter" in client.get(f"/?lib={LIBRARY}").get_data(as_text=True)


def test_logo_of_another_library_is_forbidden(admin):
    response = upload(
        admin, f"/admin/lib/{OTHER}/logo", "logo", image_bytes("PNG"), "l.png", SETTINGS
    )
    assert response.status_code == 403


def test_resolver_link_image_is_used_by_the_preview(admin, members_file):
    from admin_testkit import post

    post(
        admin,
        f"/admin/lib/{LIBRARY}/settings/resolver",
        {"resolver_base_url": "https://sfx.pku.edu.cn/sfx"},
        SETTINGS,
    )
    response = upload(
        admin,
        f"/admin/lib/{LIBRARY}/resolver-image",
        "resolver_link_image",
        image_bytes("GIF", (88, 31)),
        "findit.gif",
        SETTINGS,
    )
    assert response.status_code == 302
    image = load_members(members_file)[LIBRARY].resolver_link_image
    assert image.startswith("/media/logos/resolver-211010-") and image.endswith(".gif")
    preview = admin.get(f"/admin/lib/{LIBRARY}/resolver/preview").get_json()
    assert preview["image"] == image
    fake = upload(
        admin, f"/admin/lib/{LIBRARY}/resolver-image", "resolver_link_image", b"GIF89a junk",
        "x.gif", SETTINGS,
    )  # fmt: skip
    assert fake.status_code == 422
    assert 'id="resolver_link_image-error"' in fake.get_data(as_text=True)


def test_media_route_serves_only_stored_names(client):
    assert client.get("/media/logos/../members.toml").status_code == 404
    assert client.get("/media/logos/members.toml").status_code == 404
