"""OAI-PMH harvesting against a real OAI-PMH server implementation on 127.0.0.1.

The server (``oaipmh.server.Server`` from PyPI ``oaipmh``, the maintained successor of
Infrae's ``pyoai``) serves the
50 real Zenodo oai_dc records of ``zenodo__ListRecords_oai_dc_from_2026-04-01.xml`` in
batches of 7, so every harvest walks 8 resumptionToken pages.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from lxml import etree
from oaipmh import common, error
from oaipmh.metadata import MetadataRegistry
from oaipmh.server import Server, oai_dc_writer

from indexer.harvest.oai import NoRecordsMatch, commit_harvest, harvest
from indexer.harvest.sources import SourceConfig
from indexer.harvest.state import HarvestState
from indexer.settings import Settings
from mappings.errors import RecordError
from mappings.schema import Record

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
NAMES = ("title", "creator", "subject", "description", "publisher", "contributor", "date")
NAMES += ("type", "format", "identifier", "source", "language", "relation", "coverage", "rights")


class Repository:
    """An IOAI implementation over (header, metadata) pairs, as pyoai's own tests do."""

    def __init__(self, items: list[tuple[common.Header, common.Metadata | None]]) -> None:
        self.items = items
        self.requests: list[dict[str, str]] = []

    def identify(self) -> common.Identify:
        return common.Identify(
            repositoryName="efirst test repository",
            baseURL="http://127.0.0.1/oai",
            protocolVersion="2.0",
            adminEmails=["admin@example.org"],
            earliestDatestamp=datetime(2000, 1, 1),
            deletedRecord="persistent",
            granularity="YYYY-MM-DDThh:mm:ssZ",
            compression=["identity"],
        )

    def _select(self, from_=None, until=None):
        low, high = from_ or datetime.min, until or datetime.max
        out = [(h, m, None) for h, m in self.items if low <= h.datestamp() <= high]
        if not out:
            raise error.NoRecordsMatchError("no records match")
        return out

    def listRecords(self, metadataPrefix=None, set=None, from_=None, until=None):  # noqa: N802
        return self._select(from_, until)

    def listIdentifiers(self, metadataPrefix=None, set=None, from_=None, until=None):  # noqa: N802
        return [h for h, _, _ in self._select(from_, until)]

    def listMetadataFormats(self, identifier=None):  # noqa: N802
        return [("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", DC[1:-1])]


def real_items(oai_dir: Path) -> list[tuple[common.Header, common.Metadata]]:
    tree = etree.parse(str(oai_dir / "zenodo__ListRecords_oai_dc_from_2026-04-01.xml"))
    items = []
    for i, record in enumerate(tree.iter(f"{OAI}record")):
        ident = record.findtext(f"{OAI}header/{OAI}identifier")
        fields = {n: [e.text or "" for e in record.iter(f"{DC}{n}")] for n in NAMES}
        stamp = datetime(2026, 4, 1) + timedelta(hours=i)
        items.append((common.Header(None, ident, stamp, [], False), common.Metadata(None, fields)))
    return items


@pytest.fixture
def repository(oai_dir: Path) -> Repository:
    return Repository(real_items(oai_dir))


@pytest.fixture
def oai_url(repository: Repository, wsgi_server) -> str:
    registry = MetadataRegistry()
    registry.registerWriter("oai_dc", oai_dc_writer)
    server = Server(repository, registry, resumption_batch_size=7)

    def app(environ, start_response):
        params = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        repository.requests.append(params)
        body = server.handleRequest(params)
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [body]

    return wsgi_server(app)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def source_at(url: str, **kw) -> SourceConfig:
    return SourceConfig(name="zenodo", url=url, library="PKU", backoff=0.01, **kw)


def test_full_harvest_walks_every_resumption_page(oai_url, repository, settings):
    items = list(harvest(source_at(oai_url), settings))
    assert len(items) == 50 and all(isinstance(i, Record) for i in items)
    assert len({i.source_id for i in items}) == 50
    tokens = [r for r in repository.requests if "resumptionToken" in r]
    assert len(tokens) == 7  # 8 pages of 7 records
    article = next(i for i in items if i.source_id == "oai:zenodo.org:20568304")
    assert article.title.startswith("Evaluating the Predictive Value of Activated Parti")
    assert (article.doi, article.issn, article.format) == (
        "10.58614/jahsm593",
        ["2583-1887"],
        "article",
    )
    assert article.source == "zenodo"
    assert article.links[0].access == "open"


def test_incremental_harvest_asks_from_last_response_date(oai_url, repository, settings):
    source = source_at(oai_url)
    list(harvest(source, settings))
    state = commit_harvest("zenodo", settings)
    assert state.committed_from.endswith("Z")
    # nothing changed: noRecordsMatch is "nothing new", not an error
    assert list(harvest(source, settings)) == []
    assert repository.requests[-1]["from"] == state.committed_from
    commit_harvest("zenodo", settings)
    # a record deleted and one changed after the last harvest
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=5)
    gone, _ = repository.items[0]
    repository.items[0] = (common.Header(None, gone.identifier(), later, [], True), None)
    header, metadata = repository.items[1]
    repository.items[1] = (common.Header(None, header.identifier(), later, [], False), metadata)
    deletion, changed = harvest(source, settings)
    assert (deletion.source_id, deletion.deleted) == (gone.identifier(), True)
    assert (changed.source_id, changed.deleted) == (header.identifier(), False)


def test_first_harvest_with_nothing_is_an_error(oai_url, settings):
    with pytest.raises(NoRecordsMatch, match="noRecordsMatch"):
        list(harvest(source_at(oai_url, until="2001-01-01"), settings))


def test_crash_mid_harvest_resumes_and_loses_nothing(oai_url, repository, settings):
    source = source_at(oai_url)
    seen: list[str] = []
    stream = harvest(source, settings)
    for item in stream:
        seen.append(item.source_id)
        if len(seen) == 10:  # in page 2: the process dies here
            break
    stream.close()
    with HarvestState(settings.catalog_db) as state:
        run = state.get("zenodo")
        assert (run.page, run.in_progress) == (2, True)
        assert state.spool_size("zenodo") == 14
    requests_before = len(repository.requests)
    again = [i.source_id for i in harvest(source, settings)]
    # pages 1-2 replayed from the spool, then pages 3-8 fetched: nothing lost, none re-fetched
    assert len(again) == 50 and set(again) >= set(seen)
    assert len(repository.requests) - requests_before == 6
    assert commit_harvest("zenodo", settings).committed_from


def test_unmappable_record_is_a_record_error(oai_url, repository, settings):
    header, metadata = repository.items[3]
    metadata.getMap()["title"] = []
    items = list(harvest(source_at(oai_url), settings))
    errors = [i for i in items if isinstance(i, RecordError)]
    assert [(e.source_id, e.field) for e in errors] == [(header.identifier(), "dc:title")]
    assert oai_url in errors[0].path
    assert len(items) == 50


def test_efirst_harvest_command_indexes_and_commits(oai_url, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from search_app.cli import main

    (tmp_path / "sources.toml").write_text(
        f'[zenodo]\nurl = "{oai_url}"\nmetadataPrefix = "oai_dc"\nlibrary = "PKU"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("EFIRST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EFIRST_SEARCH_URL", "")
    result = CliRunner().invoke(main, ["harvest", "zenodo"])
    assert result.exit_code == 0, result.output
    assert "zenodo: 50 records in, 0 deleted, 0 rejected; next harvest from 20" in result.output
    with HarvestState(Settings(data_dir=tmp_path).catalog_db) as state:
        assert state.spool_size("zenodo") == 0
        assert state.get("zenodo").committed_from
    unknown = CliRunner().invoke(main, ["harvest", "nope"])
    assert unknown.exit_code != 0 and "no source 'nope'" in unknown.output
