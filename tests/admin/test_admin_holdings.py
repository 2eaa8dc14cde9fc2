"""Holdings uploads (MARC print holdings, KBART packages) with reports and rejects, the
queue for big files (efirst admin process-uploads), and the CSV / MARC / KBART downloads."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pymarc
from admin_testkit import LIBRARY, OTHER, PASSWORD, login, post, upload
from click.testing import CliRunner

from search_app.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BROKEN_MARC = FIXTURES / "marc21" / "pymarc__bad_records.mrc"
GOOD_MARC = FIXTURES / "marc21" / "pymarc__test.mrc"
KBART = FIXTURES / "kbart" / "gokb__AnnualReviews_SciencesCollection34_2011-04-27.txt"
HOLDINGS = f"/admin/lib/{LIBRARY}/holdings"
UPLOAD = f"{HOLDINGS}/upload"


def _upload(client, path: Path, kind: str, **extra):
    return upload(
        client, UPLOAD, "file", path.read_bytes(), path.name, HOLDINGS, kind=kind, **extra
    )


def _report(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _number(html: str, name: str) -> int:
    found = re.search(rf'id="records-{name}">(\d+)<', html)
    assert found, name
    return int(found.group(1))


def test_broken_marc_file_reports_every_reject(admin, tmp_path):
    html = _report(admin, _upload(admin, BROKEN_MARC, "marc"))
    assert (_number(html, "read"), _number(html, "indexed"), _number(html, "rejected")) == (8, 2, 6)
    rows = re.findall(
        r"<tr><td>([^<]*)</td><td>(\d+)</td><td>(\d+)</td><td>[^<]*</td><td>([^<]*)</td></tr>", html
    )
    assert ("pymarc__bad_records.mrc", "2", "127", "BaseAddressInvalid") in rows
    assert ("pymarc__bad_records.mrc", "7", "764", "NoFieldsFound") in rows
    link = re.search(r'id="rejects-download" href="([^"]+)"', html).group(1)
    rejects = admin.get(link)
    table = list(csv.DictReader(io.StringIO(rejects.get_data(as_text=True)), delimiter="\t"))
    rejects.close()
    assert len(table) == 6
    assert {r["file"] for r in table} == {"pymarc__bad_records.mrc"}
    assert table[0]["offset"] == "127"
    # the upload itself is kept
    assert (tmp_path / "uploads" / LIBRARY / "1-pymarc__bad_records.mrc").read_bytes() == (
        BROKEN_MARC.read_bytes()
    )


def test_upload_is_audited(admin, store):
    _upload(admin, GOOD_MARC, "marc")
    entry = store.audit_entries(LIBRARY)[0]
    assert entry["action"] == "holdings.upload"
    assert entry["details"]["file"] == "pymarc__test.mrc"


def test_kbart_file_as_marc_is_refused_but_kept(admin, tmp_path):
    response = _upload(admin, KBART, "marc")
    assert response.status_code == 422
    assert "not a MARC file" in response.get_data(as_text=True)
    assert (tmp_path / "uploads" / LIBRARY / f"1-{KBART.name}").exists()


def test_missing_file_and_bad_package_name_their_fields(admin):
    response = post(admin, UPLOAD, {"kind": "kbart", "package": "../etc"}, HOLDINGS)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="file-error"' in html and 'id="package-error"' in html


def test_upload_for_another_library_is_forbidden(admin):
    target = f"/admin/lib/{OTHER}/holdings/upload"
    response = upload(admin, target, "file", GOOD_MARC.read_bytes(), "x.mrc", HOLDINGS, kind="marc")
    assert response.status_code == 403


def test_upload_without_csrf_is_refused(admin):
    data = {"kind": "marc", "file": (io.BytesIO(GOOD_MARC.read_bytes()), "x.mrc")}
    assert admin.post(UPLOAD, data=data, content_type="multipart/form-data").status_code == 400


def test_marc_upload_is_searchable_and_downloadable(admin, backend):
    html = _report(admin, _upload(admin, GOOD_MARC, "marc"))
    indexed = _number(html, "indexed")
    assert indexed == 10 and _number(html, "rejected") == 0
    response = admin.get(f"/admin/lib/{LIBRARY}/holdings.csv")
    assert (
        response.headers["Content-Disposition"] == f'attachment; filename="{LIBRARY}-holdings.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == [
        "library", "kind", "title", "isbn", "issn", "call_number", "location", "coverage", "url",
    ]  # fmt: skip
    assert {r["library"] for r in rows} == {LIBRARY}
    assert {r["kind"] for r in rows} == {"print"}
    titles = {r["title"] for r in rows}
    assert any(t.startswith("Programming the Perl DBI") for t in titles)
    perl = next(r for r in rows if r["title"].startswith("Programming the Perl DBI"))
    assert perl["isbn"] == "9781565926998"


def test_marc_download_is_readable_by_pymarc(admin):
    _upload(admin, GOOD_MARC, "marc")
    data = admin.get(f"/admin/lib/{LIBRARY}/records.mrc").data
    records = list(pymarc.MARCReader(data, to_unicode=True, force_utf8=True))
    assert len(records) >= 9 and all(r is not None for r in records)
    perl = next(r for r in records if "Perl DBI" in r["245"]["a"])
    assert perl["020"]["a"] == "9781565926998"
    assert perl["852"]["a"] == LIBRARY
    assert perl.leader[9] == "a"  # UTF-8


def test_download_by_isbn(admin):
    _upload(admin, GOOD_MARC, "marc")
    response = admin.get(f"/admin/lib/{LIBRARY}/holdings.csv?isbn=1-56592-699-4")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["isbn"] for r in rows] == ["9781565926998"]
    other = admin.get(f"/admin/lib/{OTHER}/holdings.csv")
    assert other.status_code == 403


def test_kbart_package_upload_and_download(admin):
    html = _report(admin, _upload(admin, KBART, "kbart", package="AnnualReviews"))
    assert _number(html, "indexed") > 20
    page = admin.get(HOLDINGS).get_data(as_text=True)
    assert "AnnualReviews" in page
    response = admin.get(f"/admin/lib/{LIBRARY}/kbart.txt?package=AnnualReviews")
    lines = response.get_data(as_text=True).split("\n")
    header = lines[0].split("\t")
    assert header[:3] == ["publication_title", "print_identifier", "online_identifier"]
    assert header[-1] == "access_type" and len(header) == 25
    body = [line.split("\t") for line in lines[1:] if line]
    assert len(body) == _number(html, "indexed")
    assert any(row[0] == "Annual Review of Analytical Chemistry" for row in body)
    by_issn = admin.get(f"/admin/lib/{LIBRARY}/kbart.txt?issn=1936-1327").get_data(as_text=True)
    assert len(by_issn.strip().split("\n")) == 2
    electronic = admin.get(f"/admin/lib/{LIBRARY}/holdings.csv?package=AnnualReviews")
    rows = list(csv.DictReader(io.StringIO(electronic.get_data(as_text=True))))
    assert rows and {(r["kind"], r["location"]) for r in rows} == {("electronic", "AnnualReviews")}


def test_big_upload_waits_for_the_processing_command(app, admin, tmp_path, monkeypatch):
    app.config["EFIRST_ADMIN_INLINE_BYTES"] = 100
    html = _report(admin, _upload(admin, BROKEN_MARC, "marc"))
    assert 'id="job-state" class="state-queued"' in html
    monkeypatch.setenv("EFIRST_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("EFIRST_SEARCH_URL", raising=False)
    result = CliRunner().invoke(main, ["admin", "process-uploads"])
    assert result.exit_code == 0, result.output
    assert "upload 1 (211010, marc, pymarc__bad_records.mrc): 8 read, 2 indexed, 6 rejected" in (
        result.output
    )
    done = admin.get(f"{HOLDINGS}/jobs/1").get_data(as_text=True)
    assert 'id="job-state" class="state-done"' in done
    again = CliRunner().invoke(main, ["admin", "process-uploads"])
    assert "no queued uploads" in again.output


def test_report_of_another_library_is_not_shown(admin, client, accounts):
    _upload(admin, GOOD_MARC, "marc")
    login(client, "other")
    assert client.get(f"/admin/lib/{OTHER}/holdings/jobs/1").status_code == 404
    assert PASSWORD
