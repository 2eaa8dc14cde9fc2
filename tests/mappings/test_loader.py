"""Mapping files: the shipped ones load; every kind of mistake is named with file + field."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.map import IndexerCompiler, get_mapping, load_mapping
from mappings.errors import MappingError
from mappings.loader import SOURCES_DIR, load_value_map

SHIPPED = ("marc21", "unimarc", "cnmarc")


def write(tmp_path: Path, text: str, name: str = "m.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(path: Path):
    return load_mapping(path, IndexerCompiler())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_mappings_load_and_fill_title(name: str) -> None:
    mapping = get_mapping(name)
    assert mapping.rule("title") is not None
    assert mapping.path == str(SOURCES_DIR / f"{name}.toml")


def test_cnmarc_extends_unimarc_and_overrides_holdings() -> None:
    cnmarc, unimarc = get_mapping("cnmarc"), get_mapping("unimarc")
    assert cnmarc.rule("isbn") == unimarc.rule("isbn")
    assert [h.tag for h in cnmarc.holdings] == ["AVA", "905"]
    assert [h.tag for h in unimarc.holdings] == ["995"]


def test_unknown_transform_names_file_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path, 'reader = "marc"\n[fields.title]\nmarc = "245a"\ntransforms = ["shout"]\n'
    )
    with pytest.raises(MappingError, match=r"m\.toml: fields\.title: unknown transform 'shout'"):
        load(path)


def test_bad_spec_syntax_names_file_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, 'reader = "marc"\n[fields.isbn]\nmarc = ["020a", "02x$a"]\n')
    with pytest.raises(MappingError, match=r"m\.toml: fields\.isbn: bad MARC spec '02x\$a'"):
        load(path)


def test_control_field_with_subfields_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, 'reader = "marc"\n[fields.language]\nmarc = "008a"\n')
    with pytest.raises(MappingError, match="fields.language: .*control field 008"):
        load(path)


def test_unknown_record_field(tmp_path: Path) -> None:
    path = write(tmp_path, 'reader = "marc"\n[fields.titel]\nmarc = "245a"\n')
    with pytest.raises(MappingError, match=r"fields\.titel: 'titel' is not a mappable Record"):
        load(path)


def test_unknown_key_in_field(tmp_path: Path) -> None:
    path = write(tmp_path, 'reader = "marc"\n[fields.title]\nmarc = "245a"\ntransform = []\n')
    with pytest.raises(MappingError, match=r"fields\.title: unknown key\(s\) \['transform'\]"):
        load(path)


def test_unknown_reader(tmp_path: Path) -> None:
    path = write(tmp_path, 'reader = "json"\n[fields.title]\nmarc = "245a"\n')
    with pytest.raises(MappingError, match="reader must be one of"):
        load(path)


def test_two_spec_kinds_in_one_field(tmp_path: Path) -> None:
    path = write(tmp_path, 'reader = "xml"\n[fields.title]\nmarc = "245a"\nxpath = "//t"\n')
    with pytest.raises(MappingError, match="fields.title: give one of"):
        load(path)


def test_bad_xpath_and_missing_value_map(tmp_path: Path) -> None:
    bad_xpath = write(tmp_path, 'reader = "xml"\n[fields.title]\nxpath = "//t[("\n', "x.toml")
    with pytest.raises(MappingError, match=r"x\.toml: fields\.title: bad XPath"):
        load(bad_xpath)
    no_map = write(
        tmp_path,
        'reader = "marc"\n[fields.language]\nmarc = "041a"\ntransforms = ["map:klingon"]\n',
        "y.toml",
    )
    with pytest.raises(MappingError, match=r"fields\.language: transform 'map:klingon'.*klingon"):
        load(no_map)


def test_transform_argument_checks(tmp_path: Path) -> None:
    missing = write(
        tmp_path,
        'reader = "marc"\n[fields.title]\nmarc = "245a"\ntransforms = ["default"]\n',
        "a.toml",
    )
    with pytest.raises(MappingError, match="needs an argument"):
        load(missing)
    bad_regex = write(
        tmp_path,
        'reader = "marc"\n[fields.title]\nmarc = "245a"\ntransforms = ["match:("]\n',
        "b.toml",
    )
    with pytest.raises(MappingError, match="bad regular expression"):
        load(bad_regex)


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="invalid TOML"):
        load(write(tmp_path, "reader = \n"))
    with pytest.raises(MappingError, match="no such mapping file"):
        load(tmp_path / "absent.toml")


def test_extends_loop_is_reported(tmp_path: Path) -> None:
    write(tmp_path, f'extends = "{tmp_path / "b.toml"}"\nreader = "marc"\n', "a.toml")
    write(tmp_path, f'extends = "{tmp_path / "a.toml"}"\nreader = "marc"\n', "b.toml")
    with pytest.raises(MappingError, match="loops back"):
        load(tmp_path / "a.toml")


def test_holdings_need_a_field(tmp_path: Path) -> None:
    path = write(
        tmp_path, 'reader = "marc"\n[fields.title]\nmarc = "245a"\n[[holdings]]\nlocation = "b"\n'
    )
    with pytest.raises(MappingError, match=r"holdings\[0\]: needs the field"):
        load(path)


def test_language_value_map() -> None:
    languages = load_value_map("languages")
    assert languages["zh"] == "chi"
    assert languages["deu"] == "ger"
    assert languages["und"] == ""
