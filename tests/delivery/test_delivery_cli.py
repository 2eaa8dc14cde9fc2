"""``efirst delivery purge``: deletes expired and used-up copies, repeatable (cron)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from delivery_testkit import make_pdf

from indexer.settings import Settings
from search_app.cli import main
from search_app.delivery_cli import open_store


def test_purge_is_idempotent_and_quiet_when_nothing_is_due(tmp_path: Path) -> None:
    store = open_store(Settings.from_env({"EFIRST_DATA_DIR": str(tmp_path)}))
    common = {
        "lender": "221010",
        "borrower": "211010",
        "patron_email": "li.hua@example.edu",
        "original_name": "scan.pdf",
        "uploaded_by": "lend",
        "max_bytes": 1 << 20,
        "max_accesses": 1,
    }
    store.add(request_id="gone", data=make_pdf(), days=-1, **common)
    _, token = store.add(request_id="used", data=make_pdf(), days=30, **common)
    store.add(request_id="kept", data=make_pdf(), days=30, **common)
    store.download("used", token, "")  # the last access: deleted at once
    runner = CliRunner()
    env = {"EFIRST_DATA_DIR": str(tmp_path)}
    first = runner.invoke(main, ["delivery", "purge"], env=env)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "deleted 1 expired, 0 used-up, 0 orphaned file(s)"
    assert not store.file_path(store.document("gone").id).exists()
    assert store.file_path(store.document("kept").id).exists()
    again = runner.invoke(main, ["delivery", "purge", "--quiet"], env=env)
    assert (again.exit_code, again.output) == (0, "")
    assert [row["action"] for row in store.access_log("gone")] == ["upload", "purge"]
