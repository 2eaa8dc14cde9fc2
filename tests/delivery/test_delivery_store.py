"""The delivery store on its own: PDF checks by content, links bound to request and
patron, access limits, the log, deletion, purge, and nothing kept when a step fails."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from delivery_testkit import Clock, make_pdf, make_png

from search_app.delivery_store import AccessRefused, DeliveryError, DeliveryStore, check_pdf

LIMIT = 1024 * 1024
EMAIL = "li.hua@example.edu"


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> DeliveryStore:
    return DeliveryStore(tmp_path / "delivery.sqlite3", tmp_path / "delivery", clock=clock)


def add(store: DeliveryStore, request_id: str = "r1", **overrides: Any) -> str:
    values: dict[str, Any] = {
        "request_id": request_id,
        "lender": "211030",
        "borrower": "211010",
        "patron_email": EMAIL,
        "data": make_pdf(),
        "original_name": "scan.pdf",
        "uploaded_by": "lend",
        "max_bytes": LIMIT,
        "max_accesses": 5,
        "days": 30,
        **overrides,
    }
    return store.add(**values)[1]


def test_check_pdf_counts_pages() -> None:
    assert check_pdf(make_pdf(pages=3), LIMIT) == 3


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (make_png(), "not a PDF"),
        (b"", "empty"),
        (make_pdf()[:-200], "%%EOF"),
        (b"%PDF-1.7\n" + b"garbage " * 40 + b"\n%%EOF\n", "cannot be read"),
    ],
    ids=["png", "empty", "truncated", "no-structure"],
)
def test_check_pdf_rejects_what_is_not_a_pdf(data: bytes, words: str) -> None:
    with pytest.raises(DeliveryError, match=words) as caught:
        check_pdf(data, LIMIT)
    assert caught.value.field == "file"


def test_check_pdf_rejects_an_oversized_file_naming_both_sizes() -> None:
    data = make_pdf(padding=4000)
    with pytest.raises(DeliveryError, match=f"{len(data):,} bytes; the limit is 2,000") as caught:
        check_pdf(data, 2000)
    assert caught.value.status == 413


def test_file_is_private_and_token_stored_only_hashed(store: DeliveryStore) -> None:
    token = add(store)
    document = store.document("r1")
    path = store.file_path(document.id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    assert token.encode() not in store.path.read_bytes()
    wal = store.path.with_name(store.path.name + "-wal")
    assert not wal.exists() or token.encode() not in wal.read_bytes()
    assert len(token) >= 40


def test_five_downloads_then_refused_and_deleted(store: DeliveryStore) -> None:
    token = add(store)
    document = store.document("r1")
    for n in range(5):
        opened, data = store.download("r1", token, "10.0.0.1")
        assert data.startswith(b"%PDF-")
        assert opened.remaining == 4 - n
    assert not store.file_path(document.id).exists()
    with pytest.raises(AccessRefused) as caught:
        store.download("r1", token, "10.0.0.1")
    assert caught.value.reason == "used_up"
    outcomes = [row["outcome"] for row in store.access_log("r1") if row["action"] == "download"]
    assert outcomes == ["ok"] * 5 + ["used_up"]


def test_notice_views_do_not_count(store: DeliveryStore) -> None:
    token = add(store, max_accesses=1)
    for _ in range(3):
        assert store.view("r1", token, "10.0.0.1").remaining == 1


def test_link_expires_after_the_days(store: DeliveryStore, clock: Clock) -> None:
    token = add(store, days=30)
    clock.advance(days=29, hours=23)
    store.download("r1", token, "")
    clock.advance(hours=1)
    with pytest.raises(AccessRefused) as caught:
        store.view("r1", token, "")
    assert caught.value.reason == "expired"


def test_token_only_opens_its_own_request(store: DeliveryStore) -> None:
    first = add(store, "r1")
    add(store, "r2")
    with pytest.raises(AccessRefused) as caught:
        store.download("r2", first, "10.9.9.9")
    assert caught.value.reason == "bad_token"
    for wrong in ("", "x" * 43, first[:-1], "y" * 500):
        with pytest.raises(AccessRefused):
            store.view("r1", wrong, "")
    assert store.document("r2").accesses == 0
    assert store.access_log("r2")[-1]["outcome"] == "bad_token"


def test_new_token_only_for_the_patron_and_shares_the_limit(store: DeliveryStore) -> None:
    first = add(store, max_accesses=2)
    assert store.new_token("r1", "someone.else@example.edu") is None
    second = store.new_token("r1", EMAIL)
    assert second and second != first
    store.download("r1", first, "")
    store.download("r1", second, "")
    with pytest.raises(AccessRefused, match="used_up"):
        store.download("r1", first, "")
    assert store.new_token("r1", EMAIL) is None


def test_failed_confirm_keeps_nothing(store: DeliveryStore) -> None:
    def refuse() -> None:
        raise RuntimeError("the ledger said no")

    with pytest.raises(RuntimeError):
        add(store, confirm=refuse)
    assert store.document("r1") is None
    assert list(store.root.iterdir()) == []
    add(store)  # and the request can still get its copy
    assert store.document("r1") is not None


def test_second_upload_is_refused(store: DeliveryStore) -> None:
    add(store)
    with pytest.raises(DeliveryError, match="already") as caught:
        add(store)
    assert caught.value.status == 409
    assert len(list(store.root.iterdir())) == 1


def test_missing_file_is_reported_as_deleted(store: DeliveryStore) -> None:
    token = add(store)
    store.file_path(store.document("r1").id).unlink()
    with pytest.raises(AccessRefused, match="deleted"):
        store.download("r1", token, "")
    assert store.document("r1").deleted_at is not None
    assert store.document("r1").accesses == 0


def test_purge_deletes_expired_files_and_orphans_and_is_idempotent(
    store: DeliveryStore, clock: Clock
) -> None:
    add(store, "old", days=1)
    add(store, "fresh", days=30)
    orphan = store.root / "0123abcd.part"
    orphan.write_bytes(b"%PDF-half")
    hours_ago = clock().timestamp() - 7200
    os.utime(orphan, (hours_ago, hours_ago))
    clock.advance(days=2)
    report = store.purge()
    assert (report.expired, report.used_up, report.orphans) == (1, 0, 1)
    assert not store.file_path(store.document("old").id).exists()
    assert store.file_path(store.document("fresh").id).exists()
    assert store.purge().total == 0
    assert store.document("old").deleted_at is not None
