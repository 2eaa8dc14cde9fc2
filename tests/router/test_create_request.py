"""Router.create_request: the one request-creation path of the HTTP API and the portal form,
called here without Flask."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from router_testkit import FakeClock, make_payload

from router.actors import Actor
from router.members import SAMPLE_MEMBERS
from router.network import SAMPLE_NETWORK
from router.requests import RequestError
from router.service import CatalogItems, Router


def _router(path: Path, clock: FakeClock, *, catalogue: bool = True) -> Router:
    payloads = {"c-1": make_payload(["211030", "221010", "252010"], format="")}
    items = CatalogItems(get_payload=payloads.get, find_eholdings=lambda **_: [])
    return Router(
        path / "ledger.sqlite3",
        members=SAMPLE_MEMBERS,
        network_path=SAMPLE_NETWORK,
        items=items if catalogue else None,
        clock=clock,
    )


@pytest.fixture
def router(tmp_path: Path, clock: FakeClock) -> Router:
    return _router(tmp_path, clock)


def test_record_request_is_decided_and_stored_as_asked(router: Router) -> None:
    asked = {"needs": {}, "channel": "portal", "record_id": "c-1"}
    stored = router.create_request("211010", asked)
    assert stored["borrower"] == "211010"
    assert stored["request"] == asked  # extra keys (channel) kept
    assert stored["decision"]["kind"] == "lend"
    assert stored["decision"]["rota"][0]["library"] in {"211030", "221010", "252010"}
    assert router.ledger.get(stored["id"])["events"][0]["by"]["kind"] == "patron"


def test_citation_request_and_who_asked(router: Router) -> None:
    citation = {"genre": "book", "btitle": "X", "isbn": "0-19-852663-6"}
    staff = Actor(frozenset({"211010"}), "alice", "staff")
    stored = router.create_request("211010", {"citation": citation, "needs": {}}, by=staff)
    assert stored["request"]["citation"] == citation
    assert stored["decision"]["kind"] == "none"  # nobody holds it
    assert router.ledger.get(stored["id"])["events"][0]["by"] == {
        "kind": "staff",
        "name": "alice",
    }


@pytest.mark.parametrize(
    ("library", "asked", "field", "status"),
    [
        ("nope", {"record_id": "c-1"}, "library", 422),
        ("211010", {}, "citation", 422),
        ("211010", {"record_id": "c-1", "citation": {"atitle": "x"}}, "citation", 422),
        ("211010", {"record_id": 7}, "record_id", 422),
        ("211010", {"record_id": ""}, "record_id", 422),
        ("211010", {"record_id": "zz"}, "record_id", 404),
        ("211010", {"citation": {"year": "2001"}}, "citation.year", 422),
        ("211010", {"record_id": "c-1", "needs": {"service": "buy"}}, "needs.service", 422),
    ],
)
def test_bad_requests_name_the_field_and_store_nothing(
    router: Router, library: str, asked: dict[str, Any], field: str, status: int
) -> None:
    with pytest.raises(RequestError) as caught:
        router.create_request(library, asked)
    assert (caught.value.field, caught.value.status) == (field, status)
    assert router.ledger._connection().execute("SELECT count(*) FROM requests").fetchone()[0] == 0


def test_no_catalogue_is_503(tmp_path: Path, clock: FakeClock) -> None:
    router = _router(tmp_path, clock, catalogue=False)
    with pytest.raises(RequestError, match="no catalogue") as caught:
        router.create_request("211010", {"record_id": "c-1"})
    assert caught.value.status == 503
