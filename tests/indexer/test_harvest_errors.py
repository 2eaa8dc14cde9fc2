"""Harvest errors on canned real responses served from 127.0.0.1 (sickle, Zenodo, VuFind)."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.harvest.oai import (
    OAI_ERRORS,
    BadArgument,
    BadResumptionToken,
    CannotDisseminateFormat,
    NoRecordsMatch,
    OAIClient,
    OAIError,
    harvest,
)
from indexer.harvest.sources import SourceConfig, load_sources
from indexer.settings import Settings
from mappings.errors import HarvestError, MappingError


@pytest.fixture
def canned(wsgi_server, oai_dir: Path):
    """Serve a list of (status, headers, fixture file or bytes) in order, then repeat the last."""

    def start(*responses):
        queue = list(responses)
        seen: list[str] = []

        def app(environ, start_response):
            seen.append(environ.get("QUERY_STRING", ""))
            status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
            data = body if isinstance(body, bytes) else (oai_dir / body).read_bytes()
            start_response(status, [("Content-Type", "text/xml"), *headers])
            return [data]

        return wsgi_server(app), seen

    return start


def source_at(url: str, **kw) -> SourceConfig:
    return SourceConfig(name="s", url=url, **{"backoff": 0.01, "max_wait": 1.0, **kw})


@pytest.mark.parametrize(
    ("fixture", "status", "cls"),
    [
        ("sickle__badArgument.xml", "200 OK", BadArgument),
        ("sickle__cannotDisseminateFormat.xml", "200 OK", CannotDisseminateFormat),
        ("zenodo__error_badArgument_metadataPrefix.xml", "422 Unprocessable Entity", BadArgument),
        ("zenodo__error_noRecordsMatch.xml", "422 Unprocessable Entity", NoRecordsMatch),
        ("vufindharvest__token_error_response.xml", "200 OK", BadResumptionToken),
    ],
)
def test_oai_error_codes_become_classes(canned, tmp_path, fixture, status, cls):
    url, _ = canned((status, [], fixture))
    with pytest.raises(cls) as info:
        list(harvest(source_at(url), Settings(data_dir=tmp_path)))
    assert isinstance(info.value, HarvestError)
    assert url in str(info.value) and info.value.code in str(info.value)


def test_unknown_code_falls_back_to_oai_error(canned, tmp_path):
    body = (
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-01T00:00:00Z'
        b'</responseDate><error code="tooManyCats">meow</error></OAI-PMH>'
    )
    url, _ = canned(("200 OK", [], body))
    with pytest.raises(OAIError, match="meow") as info:
        list(harvest(source_at(url), Settings(data_dir=tmp_path)))
    assert type(info.value) is OAIError
    assert set(OAI_ERRORS) >= {"badArgument", "badVerb", "idDoesNotExist", "noSetHierarchy"}


def test_zenodo_resumption_chain_with_deleted_record(canned, tmp_path):
    url, seen = canned(
        ("200 OK", [], "zenodo__ListRecords_oai_dc_page1.xml"),
        ("200 OK", [], "zenodo__ListRecords_oai_dc_page2_with_deleted.xml"),
        ("200 OK", [], "zenodo__ListRecords_oai_dc_page3_last.xml"),
    )
    items = list(harvest(source_at(url), Settings(data_dir=tmp_path)))
    assert len(seen) == 3 and "resumptionToken=" in seen[1]
    assert [i.deleted for i in items].count(True) == 1
    assert next(i for i in items if i.deleted).source_id == "oai:zenodo.org:8433364"
    assert items[0].title.startswith("PocketCoffea")


def test_broken_page_names_url_and_token(canned, tmp_path):
    url, _ = canned(
        ("200 OK", [], "sickle__ListRecords.xml"),
        ("200 OK", [], "sickle__ListRecordsBroken.xml"),
    )
    settings = Settings(data_dir=tmp_path)
    stream = harvest(source_at(url), settings)
    first = [next(stream), next(stream)]
    assert first[0].deleted and first[1].title == "Sample Title"
    with pytest.raises(HarvestError, match=r"resumptionToken ListRecords2\.xml\): broken XML"):
        next(stream)


def test_503_retry_after_is_honoured(canned, tmp_path):
    waits: list[float] = []
    url, seen = canned(
        ("503 Service Unavailable", [("Retry-After", "7")], b"busy"),
        ("503 Service Unavailable", [], b"busy"),
        ("200 OK", [], "sickle__ListRecords4.xml"),
    )
    source = source_at(url, max_wait=60)
    items = list(harvest(source, Settings(data_dir=tmp_path), sleep=waits.append))
    assert waits == [7.0, 0.02]  # Retry-After, then back-off 0.01 * 2**1
    assert len(seen) == 3 and items


def test_gives_up_after_max_retries(canned, tmp_path):
    url, seen = canned(("503 Service Unavailable", [], b"<html>down</html>"))
    source = source_at(url, max_retries=2)
    with pytest.raises(HarvestError, match="HTTP 503"):
        list(harvest(source, Settings(data_dir=tmp_path), sleep=lambda s: None))
    assert len(seen) == 3


def test_network_errors_back_off_exponentially():
    waits: list[float] = []
    client = OAIClient("http://127.0.0.1:9/oai", max_retries=3, backoff=0.5, sleep=waits.append)
    with pytest.raises(HarvestError, match="after 3 retries"):
        client.harvest({"verb": "Identify"})
    client.close()
    assert waits == [0.5, 1.0, 2.0]


def test_sources_file(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(
        '[zenodo]\nurl = "https://zenodo.org/oai2d"\nset = "user-x"\nmetadataPrefix = "oai_dc"\n'
        'library = "PKU"\nmax_retries = 3\n[alma]\nurl = "https://alma.example/oai"\n'
        'metadataPrefix = "marc21"\n',
        encoding="utf-8",
    )
    sources = load_sources(path)
    assert sources["zenodo"].set_spec == "user-x" and sources["zenodo"].max_retries == 3
    assert (sources["zenodo"].mapping_name, sources["alma"].mapping_name) == ("oai_dc", "marc21")
    path.write_text('[x]\nurl = "https://a/oai"\nsett = "typo"\n', encoding="utf-8")
    with pytest.raises(MappingError, match=r"sources\.toml: \[x\] unknown key\(s\) \['sett'\]"):
        load_sources(path)
