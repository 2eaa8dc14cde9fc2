"""Article-level full-text links from per-platform templates (``mappings/link_templates.toml``).

For a citation inside an e-holding's coverage: the DOI resolver when the citation has a
DOI, else the platform's own inbound OpenURL when the template's placeholders all have
values, else the KBART ``title_url`` (journal or book level).

>>> from mappings.schema import Citation, EHolding
>>> line = EHolding("L", "p", "J", title_url="https://link.springer.com/journal/10802")
>>> cit = Citation(issn=["0091-0627"], volume="43", issue="3", spage="465")
>>> url, level = article_link(line, cit)
>>> level, url.split("?")[1]
('article', 'genre=article&issn=0091-0627&volume=43&issue=3&spage=465')
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

import mappings
from mappings.errors import MappingError
from mappings.schema import Citation, EHolding

__all__ = ["TEMPLATES_PATH", "Platform", "article_link", "doi_url", "load_platforms"]

TEMPLATES_PATH = Path(mappings.__file__).with_name("link_templates.toml")
PLACEHOLDERS = (
    "issn",
    "eissn",
    "isbn",
    "volume",
    "issue",
    "spage",
    "date",
    "year",
    "atitle",
    "doi",
)
_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    hosts: tuple[str, ...]
    article: str = ""
    doi: bool = True


@dataclass(frozen=True, slots=True)
class _Templates:
    doi_url: str
    platforms: tuple[Platform, ...]


@lru_cache(maxsize=4)
def load_platforms(path: Path = TEMPLATES_PATH) -> _Templates:
    """Read and check the templates; a :class:`MappingError` names the file and platform."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        platforms = []
        for name, spec in data.get("platforms", {}).items():
            article = spec.get("article", "")
            unknown = set(_FIELD.findall(article)) - set(PLACEHOLDERS)
            if unknown:
                raise MappingError(f"{path.name}: platforms.{name}: unknown {sorted(unknown)}")
            hosts = tuple(h.lower() for h in spec["hosts"])
            platforms.append(Platform(name, hosts, article, bool(spec.get("doi", True))))
        return _Templates(data["doi"]["url"], tuple(platforms))
    except (KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"{path.name}: invalid link templates: {exc!r}") from exc


def _platform(url: str) -> Platform | None:
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return None
    for platform in load_platforms().platforms:
        if any(host == h or host.endswith("." + h) for h in platform.hosts):
            return platform
    return None


def doi_url(doi: str) -> str:
    """The DOI resolver link for a (normalised) DOI."""
    return load_platforms().doi_url.format(doi=quote(doi, safe="/()<>;:@!$*'-._~"))


def _values(citation: Citation, eholding: EHolding) -> dict[str, str]:
    issns = citation.issn or [eholding.print_identifier or eholding.online_identifier]
    return {
        "issn": issns[0] if issns else "",
        "eissn": eholding.online_identifier if "-" in eholding.online_identifier else "",
        "isbn": citation.isbn[0] if citation.isbn else "",
        "volume": citation.volume,
        "issue": citation.issue,
        "spage": citation.spage,
        "date": citation.date,
        "year": str(citation.year or ""),
        "atitle": citation.atitle,
        "doi": citation.doi,
    }


def article_link(eholding: EHolding, citation: Citation) -> tuple[str, str]:
    """``(url, level)`` for ``citation`` on ``eholding``'s platform; level is ``article``,
    ``journal`` or ``book`` (``("", "")`` when the line has no URL and nothing fits)."""
    platform = _platform(eholding.title_url)
    wants_article = bool(citation.atitle or citation.spage or citation.doi)
    if citation.doi and wants_article and (platform is None or platform.doi):
        return (doi_url(citation.doi), "article")
    if platform and platform.article and wants_article:
        values = _values(citation, eholding)
        used = _FIELD.findall(platform.article)
        if all(values[name] for name in used):
            return (platform.article.format(**{k: quote(v) for k, v in values.items()}), "article")
    if not eholding.title_url:
        return ("", "")
    level = "journal" if eholding.publication_type.lower() == "serial" else "book"
    return (eholding.title_url, level)
