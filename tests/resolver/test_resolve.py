"""End to end: OpenURL -> citation -> real index + real KBART store -> ordered options."""

from __future__ import annotations

from pathlib import Path

from resolver.openurl import parse_openurl
from resolver.resolve import Resolution, Resolver

FIXTURES = Path(__file__).parents[1] / "fixtures"


def resolve(resolver: Resolver, query: str, library: str = "LIB1") -> Resolution:
    return resolver.resolve_uncached(parse_openurl(query).citation, library)


def kinds(resolution: Resolution) -> list[str]:
    return [o.kind for o in resolution.options]


def test_in_coverage_with_doi_links_the_article(resolver: Resolver) -> None:
    res = resolve(
        resolver,
        "rft.genre=article&rft.issn=0515-0361&rft.date=2010&rft.volume=40&rft.spage=1"
        "&rft.atitle=Some+paper&rft_id=info:doi/10.2143/AST.40.1.2049222",
    )
    assert kinds(res) == ["fulltext"]
    assert res.options[0].url == "https://doi.org/10.2143/ast.40.1.2049222"
    assert (res.options[0].level, res.options[0].library) == ("article", "LIB1")
    assert res.single_target == res.options[0].url


def test_in_coverage_without_article_data_links_the_journal(resolver: Resolver) -> None:
    res = resolve(resolver, "issn=05150361&date=2010&volume=40&title=ASTIN+Bulletin")
    (option,) = res.options
    assert option.url == "http://journals.cambridge.org/action/displayBackIssues?jid=ASB"
    assert option.level == "journal"


def test_licence_of_another_library_is_not_offered(resolver: Resolver) -> None:
    res = resolve(resolver, "issn=05150361&date=2010&volume=40", library="LIB2")
    assert kinds(res) == ["request"]


def test_out_of_coverage_gets_delivery_with_reason(resolver: Resolver) -> None:
    # Acta geneticae medicae et gemellologiae: online 1953-1998 only
    res = resolve(resolver, "genre=article&issn=0001-5660&date=2005&volume=54&spage=3&atitle=X")
    assert kinds(res) == ["request"]
    assert "1953-01-01 - 1998-10-01 only" in res.notes[0]
    assert "rft.issn=0001-5660" in res.options[0].url
    assert res.options[0].url.startswith("/request?url_ver=Z39.88-2004")
    assert res.options[0].url.endswith("&lib=LIB1")


def test_year_inside_coverage_of_a_closed_range(resolver: Resolver) -> None:
    res = resolve(resolver, "genre=article&issn=0001-5660&date=1990&volume=39")
    assert kinds(res) == ["fulltext"]


def test_embargoed_issue_gets_delivery_and_says_embargoed(resolver: Resolver) -> None:
    res = resolve(resolver, "genre=article&issn=0890-0604&date=2024&volume=38&atitle=New")
    assert kinds(res) == ["request"]
    assert "embargoed (R2Y)" in res.notes[0]
    assert "embargoed" in res.options[0].note
    older = resolve(resolver, "genre=article&issn=0890-0604&date=2020&volume=34&atitle=Old")
    assert kinds(older) == ["fulltext"]


def test_print_only_real_openurl_local_first_then_request(resolver: Resolver) -> None:
    line = (FIXTURES / "openurl" / "nyu_getit_openurls_shared.txt").read_text("utf-8")
    cas_line = line.split("\n")[5]  # CAS SciFinder: Journal of Cell Science 2016
    res = resolve(resolver, cas_line, library="LIB1")
    assert kinds(res) == ["print", "print", "request"]
    assert [o.library for o in res.options[:2]] == ["LIB1", "LIB2"]
    assert res.options[0].location == "Science library"
    assert res.matched_by == "issn"


def test_consortium_licence_for_every_member_with_platform_openurl(resolver: Resolver) -> None:
    line = (FIXTURES / "openurl" / "nyu_getit_openurls_shared.txt").read_text("utf-8")
    query = line.split("\n")[2].replace("rft.doi=", "x=").replace("rft_id=info:doi", "x=")
    res = resolve(resolver, query, library="LIB9")
    (option,) = res.options
    assert option.url == (
        "https://link.springer.com/openurl?genre=article&issn=0091-0627&volume=43&issue=3&spage=465"
    )
    assert (option.kind, option.library, option.level) == ("fulltext", "*", "article")


def test_open_access_copy_from_the_record(resolver: Resolver) -> None:
    kev = (FIXTURES / "openurl" / "openurl_gem_kev.txt").read_text("utf-8").split("\n")[2]
    res = resolve(resolver, kev)
    assert kinds(res) == ["open_access"]
    assert res.options[0].url == "https://repository.example.org/oa1.pdf"
    assert res.single_target == ""  # open access is not a licensed target


def test_book_by_isbn10_licensed_link_and_print(resolver: Resolver) -> None:
    res = resolve(resolver, "genre=book&isbn=038519093X&btitle=Momo")
    assert kinds(res) == ["fulltext", "print"]
    assert res.options[0].url == "https://ebooks.example.org/momo"
    other = resolve(resolver, "genre=book&isbn=038519093X&btitle=Momo", library="LIB2")
    assert kinds(other) == ["print", "request"]


def test_title_fallback_is_fuzzy_but_not_loose(resolver: Resolver) -> None:
    res = resolve(resolver, "genre=book&title=Momo.&date=1984")
    assert res.matched_by == "title"
    assert res.clusters == ["c-momo"]
    assert resolve(resolver, "genre=book&title=Momo+and+the+grey+men").clusters == []


def test_kbart_title_fallback_when_no_identifier(resolver: Resolver) -> None:
    res = resolve(resolver, "genre=journal&title=ASTIN+Bulletin&date=2000")
    assert kinds(res) == ["fulltext"]


def test_cache_hits_and_generation_invalidation(resolver: Resolver, backend) -> None:  # type: ignore[no-untyped-def]
    citation = parse_openurl("issn=05150361&date=2010").citation
    first = resolver.resolve(citation, "LIB1")
    assert resolver.resolve(citation, "LIB1") is first
    assert resolver.resolve(citation, "LIB2") is not first
    resolver._cache._generation = "stale"  # as if the index had been rebuilt
    assert resolver.resolve(citation, "LIB1") is not first
