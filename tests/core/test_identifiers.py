"""Identifier normalisation: the rules every package relies on."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings.identifiers import (
    isbn10_to_13,
    looks_like_identifier,
    normalise_doi,
    normalise_isbn,
    normalise_issn,
    normalise_lccn,
    normalise_oclc,
    normalise_pmid,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0444897283", "9780444897282"),
        ("0-444-89728-3 (pbk.)", "9780444897282"),
        ("978-0-444-89728-2", "9780444897282"),
        ("9787301000001 : CNY35.00", ""),  # bad check digit: not an identifier
        ("7-301-02398-7", "9787301023983"),
        ("080442957X", "9780804429573"),
        ("0-8044-2957-x (v. 1)", "9780804429573"),
        ("ISBN 979-10-90636-07-1", "9791090636071"),
        ("", ""),
        ("12345", ""),
        ("0444897284", ""),
    ],
)
def test_normalise_isbn(raw: str, expected: str) -> None:
    assert normalise_isbn(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0028-0836", "0028-0836"),
        ("00280836", "0028-0836"),
        ("0028-0836 (PRINT)", "0028-0836"),
        ("1234-5678", ""),
        ("0317-8471", "0317-8471"),
        ("0378-5955", "0378-5955"),
        ("1050-124x", "1050-124X"),
        ("", ""),
    ],
)
def test_normalise_issn(raw: str, expected: str) -> None:
    assert normalise_issn(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1000/ABC.123", "10.1000/abc.123"),
        ("doi:10.1038/nature12373", "10.1038/nature12373"),
        ("info:doi/10.1038%2Fnature12373", "10.1038/nature12373"),
        ("https://doi.org/10.1126/science.169.3946.635.", "10.1126/science.169.3946.635"),
        ("not a doi", ""),
    ],
)
def test_normalise_doi(raw: str, expected: str) -> None:
    assert normalise_doi(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(OCoLC)ocm00012345", "12345"),
        ("ocn814388508", "814388508"),
        ("info:oclcnum/63111280", "63111280"),
        ("(OCoLC)", ""),
    ],
)
def test_normalise_oclc(raw: str, expected: str) -> None:
    assert normalise_oclc(raw) == expected


def test_normalise_lccn_and_pmid() -> None:
    assert normalise_lccn("  85-2 ") == "85000002"
    assert normalise_lccn("n 78-890351") == "n78890351"
    assert normalise_lccn("garbage") == ""
    assert normalise_pmid("info:pmid/12345") == "12345"
    assert normalise_pmid("pmid:abc") == ""


def test_looks_like_identifier() -> None:
    assert looks_like_identifier("0-444-89728-3") == ("isbn", "9780444897282")
    assert looks_like_identifier("0028-0836") == ("issn", "0028-0836")
    assert looks_like_identifier("10.1038/nature12373") == ("doi", "10.1038/nature12373")
    assert looks_like_identifier("history of china") is None
    assert looks_like_identifier("1999") is None


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_isbn10_maps_to_a_valid_isbn13(body: str) -> None:
    total = sum((10 - i) * int(d) for i, d in enumerate(body))
    check = (11 - total % 11) % 11
    isbn10 = body + ("X" if check == 10 else str(check))
    isbn13 = normalise_isbn(isbn10)
    assert isbn13 == isbn10_to_13(isbn10)
    assert normalise_isbn(isbn13) == isbn13  # idempotent
    assert normalise_isbn(f"{isbn13[:3]}-{isbn13[3:]}") == isbn13


@given(st.text())
def test_normalisers_never_raise(text: str) -> None:
    for func in (normalise_isbn, normalise_issn, normalise_doi, normalise_oclc, normalise_lccn):
        assert isinstance(func(text), str)
    looks_like_identifier(text)
