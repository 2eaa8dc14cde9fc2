"""OAI-PMH 2.0 harvesting on oaipmh-scythe: paging, retries, errors, durable resumption.

:func:`harvest` is the entry point::

    for item in harvest(source_config, settings):   # Record | RecordError
        ...                                          # Record(deleted=True) = a deletion
    commit_harvest(source_config.name, settings)     # once the items are indexed

Protocol work (requests, resumptionToken paging) is oaipmh-scythe's; :class:`OAIClient`
configures it: responses are parsed with our safe parser (no entities, no network) and
broken pages raise :class:`HarvestError` naming the URL and the token; ``<error
code>`` becomes the exception class of the same name (table :data:`OAI_ERRORS`, generic
:class:`OAIError`), whatever the HTTP status (Zenodo sends them with 422); 503/429/5xx
and network errors are retried, waiting ``Retry-After`` (seconds or HTTP date) or an
exponential back-off, capped at ``max_wait``.

Durability (see :mod:`indexer.harvest.state`): each page's records are spooled in the
same transaction that saves the next token, then yielded. A crash resumes at the page
after the last one stored, and spooled records are replayed until
:func:`commit_harvest`. The next harvest asks ``from`` the ``responseDate`` of the last
committed one; ``noRecordsMatch`` on such an incremental harvest means "nothing new".
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx2
from lxml import etree
from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig, RetryConfig
from oaipmh_scythe.iterator import OAIResponseIterator
from oaipmh_scythe.response import OAIResponse

from indexer.harvest.sources import SourceConfig
from indexer.harvest.state import HarvestState, RunState, SpooledRecord
from indexer.map import get_mapping
from indexer.readers.dc import OAI_NS, map_dc_element, tombstone
from indexer.settings import Settings
from mappings.errors import HarvestError, RecordError
from mappings.schema import Record

__all__ = [
    "OAI_ERRORS",
    "BadArgument",
    "BadResumptionToken",
    "BadVerb",
    "CannotDisseminateFormat",
    "IdDoesNotExist",
    "NoMetadataFormats",
    "NoRecordsMatch",
    "NoSetHierarchy",
    "OAIClient",
    "OAIError",
    "commit_harvest",
    "harvest",
]

log = logging.getLogger(__name__)
RETRY_STATUS = (429, 500, 502, 503, 504)
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=True
)


class OAIError(HarvestError):
    """An OAI-PMH ``<error>``: ``code``, the server's message, the URL and token asked."""

    code = ""

    def __init__(self, message: str, *, url: str = "", token: str = "", response_date: str = ""):
        self.message = message
        self.url = url
        self.token = token
        self.response_date = response_date
        where = f" (resumptionToken {token})" if token else ""
        super().__init__(f"{url}{where}: OAI-PMH error {self.code or 'unknown'}: {message}")


class BadArgument(OAIError):
    code = "badArgument"


class BadResumptionToken(OAIError):
    code = "badResumptionToken"


class BadVerb(OAIError):
    code = "badVerb"


class CannotDisseminateFormat(OAIError):
    code = "cannotDisseminateFormat"


class IdDoesNotExist(OAIError):
    code = "idDoesNotExist"


class NoRecordsMatch(OAIError):
    code = "noRecordsMatch"


class NoMetadataFormats(OAIError):
    code = "noMetadataFormats"


class NoSetHierarchy(OAIError):
    code = "noSetHierarchy"


OAI_ERRORS: dict[str, type[OAIError]] = {
    cls.code: cls
    for cls in (
        BadArgument,
        BadResumptionToken,
        BadVerb,
        CannotDisseminateFormat,
        IdDoesNotExist,
        NoRecordsMatch,
        NoMetadataFormats,
        NoSetHierarchy,
    )
}


@dataclass
class ParsedResponse(OAIResponse):
    """An OAIResponse whose XML was parsed once, safely (scythe re-parses with recover)."""

    tree: etree._Element | None = None

    @property
    def xml(self) -> etree._Element:  # type: ignore[override]
        return self.tree

    @property
    def response_date(self) -> str:
        return (self.tree.findtext(f"{{{OAI_NS}}}responseDate") or "").strip()


def _retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class OAIClient(Scythe):
    """oaipmh-scythe's client with our parsing, error classes and retry policy."""

    def __init__(
        self,
        endpoint: str,
        *,
        max_retries: int = 5,
        timeout: float = 60.0,
        backoff: float = 2.0,
        max_wait: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            endpoint,
            http_config=HTTPConfig(timeout=timeout, user_agent="efirst-harvester (oaipmh-scythe)"),
            retry_config=RetryConfig(
                max_retries=max_retries,
                retry_status_codes=RETRY_STATUS,
                default_retry_after=max(max_wait, 0.001),
                retry_on_transport_error=True,
                initial_backoff=max(backoff, 0.001),
            ),
        )
        self.max_wait = max_wait
        self._sleep = sleep

    def _request_with_retry(self, query: dict[str, str]) -> httpx2.Response:
        attempt = 0
        while True:
            try:
                response = self._request(query)
            except httpx2.TransportError as exc:
                if attempt >= self.max_retries:
                    raise HarvestError(f"{self.endpoint}: {exc} (after {attempt} retries)") from exc
                wait, why = self._backoff(attempt), f"network error {exc}"
            else:
                if response.status_code not in RETRY_STATUS or attempt >= self.max_retries:
                    return response
                hinted = _retry_after(response)
                wait = hinted if hinted is not None else self._backoff(attempt)
                why = f"HTTP {response.status_code}"
            wait = min(wait, self.max_wait)
            log.warning("%s: %s, retry %d in %.1f s", self.endpoint, why, attempt + 1, wait)
            self._sleep(wait)
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        return self.retry_config.initial_backoff * 2**attempt

    def harvest(self, query: dict[str, str]) -> ParsedResponse:
        """One OAI-PMH request: parsed response, or the matching exception."""
        response = self._request_with_retry(query)
        url, token = str(response.request.url), query.get("resumptionToken", "")
        try:
            tree = etree.fromstring(response.content, _PARSER)
        except etree.XMLSyntaxError as exc:
            what = f"HTTP {response.status_code}" if response.is_error else "broken XML page"
            where = f" (resumptionToken {token})" if token else ""
            raise HarvestError(f"{url}{where}: {what}: {exc}") from None
        error = tree.find(f"{{{OAI_NS}}}error")
        if error is not None:
            cls = OAI_ERRORS.get(error.get("code", ""), OAIError)
            date = (tree.findtext(f"{{{OAI_NS}}}responseDate") or "").strip()
            raise cls((error.text or "").strip(), url=url, token=token, response_date=date)
        if response.is_error:
            raise HarvestError(f"{url}: HTTP {response.status_code}")
        return ParsedResponse(response, params=query, tree=tree)


def _client(source: SourceConfig, sleep: Callable[[float], None]) -> OAIClient:
    return OAIClient(
        source.url,
        max_retries=source.max_retries,
        timeout=source.timeout,
        backoff=source.backoff,
        max_wait=source.max_wait,
        sleep=sleep,
    )


def _from_argument(client: OAIClient, date: str) -> str:
    """``date`` at the repository's granularity (day-granular servers reject times)."""
    if not date or "T" not in date:
        return date
    granularity = getattr(client.identify(), "granularity", "") or ""
    return date[:10] if "T" not in granularity else date


def _list_query(source: SourceConfig, from_date: str) -> dict[str, str]:
    query = {"verb": "ListRecords", "metadataPrefix": source.metadata_prefix}
    for key, value in (("set", source.set_spec), ("from", from_date), ("until", source.until)):
        if value:
            query[key] = value
    return query


def _page_records(response: ParsedResponse) -> list[tuple[str, str, bool, bytes]]:
    out = []
    for record in response.xml.iter(f"{{{OAI_NS}}}record"):
        header = record.find(f"{{{OAI_NS}}}header")
        if header is None:
            header = etree.Element(f"{{{OAI_NS}}}header")
        ident = (header.findtext(f"{{{OAI_NS}}}identifier") or "").strip()
        stamp = (header.findtext(f"{{{OAI_NS}}}datestamp") or "").strip()
        deleted = header.get("status") == "deleted"
        out.append((ident, stamp, deleted, etree.tostring(record)))
    return out


def _map(item: SpooledRecord, source: SourceConfig) -> Record | RecordError:
    if item.deleted:
        return tombstone(source.name, item.identifier, item.datestamp)
    mapping = get_mapping(source.mapping_name)
    try:
        element = etree.fromstring(item.xml, _PARSER)
        if mapping.reader == "xml":
            return map_dc_element(element, source.name, source.library, mapping)
        from indexer.readers.marcxml import map_marcxml

        record = map_marcxml(element, source=source.name, library=source.library, mapping=mapping)
    except RecordError as exc:
        return RecordError(
            exc.reason,
            path=f"{source.url} (page {item.page})",
            record=item.seq + 1,
            field=exc.field,
            source_id=item.identifier,
        )
    record.source_id, record.harvested_at = item.identifier, item.datestamp
    return record


def harvest(
    source: SourceConfig,
    settings: Settings,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Record | RecordError]:
    """Harvest ``source``: spooled-but-uncommitted records first, then new pages.

    Yields Records (``deleted=True`` for OAI deletions) and RecordErrors for records
    that cannot be mapped. Raises :class:`HarvestError` (an :class:`OAIError` subclass
    for OAI error codes) when the harvest cannot go on; what was spooled is kept.
    """
    with HarvestState(settings.catalog_db) as state:
        run = state.get(source.name)
        for item in state.spooled(source.name):
            yield _map(item, source)
        if run.finished:  # harvested, never committed: start after that run
            run = RunState(source.name, run.run_date or run.committed_from, "", "", run.page)
        with _client(source, sleep) as client:
            yield from _fetch(client, source, state, run)


def _start(
    client: OAIClient, source: SourceConfig, state: HarvestState, run: RunState
) -> tuple[OAIResponseIterator | None, RunState, bool]:
    """The page iterator (first page fetched), the run state, and whether incremental."""
    if run.in_progress:
        try:
            query = {"verb": "ListRecords", "resumptionToken": run.token}
            return OAIResponseIterator(client, query), run, True
        except BadResumptionToken as exc:
            log.warning("%s: %s; restarting the run", source.name, exc)
            run = state.restart(source.name)
    since = run.committed_from or source.from_date
    try:
        pages = OAIResponseIterator(client, _list_query(source, _from_argument(client, since)))
    except NoRecordsMatch as exc:
        if not since:
            raise
        log.info("%s: nothing new since %s", source.name, since)
        state.finish(RunState(source.name, run.committed_from, exc.response_date, "", run.page))
        return None, run, True
    return pages, run, bool(since)


def _fetch(
    client: OAIClient, source: SourceConfig, state: HarvestState, run: RunState
) -> Iterator[Record | RecordError]:
    pages, run, _ = _start(client, source, state, run)
    if pages is None:
        return
    for response in pages:
        assert isinstance(response, ParsedResponse)
        token = pages.resumption_token.token if pages.resumption_token else ""
        run = RunState(
            source.name,
            run.committed_from,
            run.run_date or response.response_date,
            token or "",
            run.page + 1,
        )
        stored = _page_records(response)
        state.store_page(run, stored)
        for seq, (ident, stamp, deleted, xml) in enumerate(stored):
            yield _map(SpooledRecord(run.page, seq, ident, stamp, deleted, xml), source)
    state.finish(run)


def commit_harvest(source_name: str, settings: Settings) -> RunState:
    """Call once the harvested items are indexed: empties the spool, advances ``from``."""
    with HarvestState(settings.catalog_db) as state:
        return state.commit(source_name)
