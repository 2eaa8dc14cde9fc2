"""Importing requests from an external system (a JSON endpoint served on 127.0.0.1)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask import Flask, abort, jsonify, request
from iso_testkit import free_port, make_router, serve

from mappings.errors import RoutingError
from router.imports import Imports, Profile, run_import
from search_app.cli import main

KEY = "s3cret"
EXTERNAL = [
    {
        "id": "L-1",
        "library": "SE-UPPSALA",
        "citation": {"btitle": "Modern Chinese history", "isbn": "9787101003048"},
        "needs": {"service": "loan"},
    },
    {"id": "L-2", "library": "SE-NOWHERE", "citation": {"btitle": "Unmapped"}},
    {"id": "L-3", "library": "SE-UPPSALA", "citation": {"colour": "red"}},
    {"id": "L-4", "citation": {"atitle": "An article", "issn": "0028-0836"}},
    "not an object",
]


def external_app(seen: list[dict[str, str]]) -> Flask:
    app = Flask("external")

    @app.get("/api/requests")
    def requests_since():
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            abort(401)
        seen.append(dict(request.args))
        return jsonify({"requests": EXTERNAL})

    return app


@pytest.fixture
def external():
    seen: list[dict[str, str]] = []
    port = free_port()
    with serve(external_app(seen), port) as url:
        yield f"{url}/api", seen


@pytest.fixture
def router(tmp_path, clock):
    from router.members import SAMPLE_MEMBERS

    return make_router(tmp_path, SAMPLE_MEMBERS, clock)


def setup_profile(router, url, **overrides):
    imports = Imports(router)
    fields = {
        "code": "LIBRIS",
        "name": "Libris ILL",
        "base_url": url,
        "library": "211010",
        "system": "Libris",
        "api_key": KEY,
        "harvest_from": "2025-01-01",
    }
    imports.save_profile(Profile(**{**fields, **overrides}))
    imports.map_code("LIBRIS", "SE-UPPSALA", "211030")
    return imports


def test_run_history_shows_each_request_imported_or_rejected(router, external):
    url, seen = external
    imports = setup_profile(router, url)
    run = run_import(router, "LIBRIS")
    assert seen == [{"since": "2025-01-01"}]
    lines = {item["external_id"]: item for item in run["items"]}
    assert (run["status"], run["imported"], run["rejected"]) == ("completed", 2, 3)
    assert lines["L-1"]["status"] == "imported"
    stored = router.ledger.get(lines["L-1"]["request_id"])
    assert stored["borrower"] == "211030" and stored["service"] == "loan"
    assert stored["request"]["imported"] == {"profile": "LIBRIS", "external_id": "L-1"}
    assert stored["events"][0]["by"] == {"kind": "import", "name": "LIBRIS"}
    assert lines["L-2"] == {
        "external_id": "L-2",
        "status": "rejected",
        "reason": "library code 'SE-NOWHERE' has no mapping in LIBRIS",
        "request_id": None,
    }
    assert lines["L-3"]["reason"] == "citation.colour: unknown member 'colour'"
    assert router.ledger.get(lines["L-4"]["request_id"])["borrower"] == "211010"
    assert lines["#5"]["reason"] == "request #5: must be an object with an id"
    assert len(router.ledger.list_requests()) == 2  # nothing half-imported
    assert imports.profile("LIBRIS").harvest_from == "2025-03-03"


def test_a_second_run_imports_nothing_twice(router, external):
    url, seen = external
    setup_profile(router, url)
    run_import(router, "LIBRIS")
    again = run_import(router, "LIBRIS")
    assert (again["imported"], again["duplicates"], again["rejected"]) == (0, 2, 3)
    assert seen[-1] == {"since": "2025-03-03"}
    assert len(router.ledger.list_requests()) == 2
    assert [r["id"] for r in Imports(router).runs("LIBRIS")] == [again["id"], again["id"] - 1]


def test_unreachable_system_fails_the_run_and_changes_nothing(router):
    setup_profile(router, f"http://127.0.0.1:{free_port()}/api")
    run = run_import(router, "LIBRIS")
    assert run["status"] == "failed" and "cannot read" in run["error"]
    assert run["items"] == [] and router.ledger.list_requests() == []
    assert Imports(router).profile("LIBRIS").harvest_from == "2025-01-01"


def test_wrong_api_key_fails_the_run(router, external):
    setup_profile(router, external[0], api_key="wrong")
    run = run_import(router, "LIBRIS")
    assert run["status"] == "failed" and "401" in run["error"]


def test_inactive_profile_and_bad_fields_are_refused(router, external):
    setup_profile(router, external[0], active=False)
    with pytest.raises(RoutingError, match="not active"):
        run_import(router, "LIBRIS")
    with pytest.raises(RoutingError, match="schedule"):
        setup_profile(router, external[0], schedule="hourly")
    with pytest.raises(RoutingError, match="not a member"):
        Imports(router).map_code("LIBRIS", "X", "999999")
    with pytest.raises(RoutingError, match="no integration profile"):
        run_import(router, "NOPE")


def test_cli_profile_map_and_import(tmp_path, monkeypatch, external):
    monkeypatch.setenv("EFIRST_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    args = ["router", "profile", "LIBRIS", "--name", "Libris", "--base-url", external[0]]
    result = runner.invoke(main, [*args, "--library", "211010", "--api-key", KEY])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["router", "map-code", "LIBRIS", "SE-UPPSALA", "211030"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["router", "import", "LIBRIS"])
    assert result.exit_code == 0, result.output
    assert "L-2\trejected\t-\tlibrary code 'SE-NOWHERE' has no mapping in LIBRIS" in result.stdout
    assert "2 imported, 3 rejected" in result.stderr
