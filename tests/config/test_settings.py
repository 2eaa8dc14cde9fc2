"""The settings table: environment values parsed and checked when the app is created,
errors naming the variable, and the modules reading the checked values."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from search_app import create_app
from search_app.config import ConfigError, load_config
from search_app.delivery import delivery_settings
from search_app.mailer import smtp_settings
from search_app.serve_cli import serve


def _load(tmp_path: Path, **environ: str) -> dict:
    return load_config({"EFIRST_DATA_DIR": str(tmp_path)}, environ=environ)


def test_environment_values_are_parsed_to_their_types(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        EFIRST_DELIVERY_DAYS="2.5",
        EFIRST_MAX_UPLOAD_BYTES="1_000_000",
        EFIRST_HSTS="yes",
        EFIRST_USAGE="off",
        EFIRST_CONSORTIUM_CODES="CASHL, CALIS,",
    )
    assert config["EFIRST_DELIVERY_DAYS"] == 2.5
    assert config["EFIRST_MAX_UPLOAD_BYTES"] == 1_000_000 == config["MAX_CONTENT_LENGTH"]
    assert config["EFIRST_HSTS"] is True and config["EFIRST_USAGE"] is False
    assert config["EFIRST_CONSORTIUM_CODES"] == ["CASHL", "CALIS"]


def test_empty_numbers_mean_the_default(tmp_path: Path) -> None:
    config = _load(tmp_path, EFIRST_PAGE_SIZE="", EFIRST_USAGE="")
    assert config["EFIRST_PAGE_SIZE"] == 20 and config["EFIRST_USAGE"] is True


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("EFIRST_PAGE_SIZE", "twenty", "invalid literal"),
        ("EFIRST_SMTP_PORT", "70000", "at most 65535"),
        ("EFIRST_DELIVERY_MAX_ACCESSES", "0", "at least 1"),
        ("EFIRST_HSTS", "maybe", "true/false"),
        ("EFIRST_STAFF_SESSION_HOURS", "12h", "could not convert"),
    ],
)
def test_a_bad_value_names_the_variable(tmp_path: Path, name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=rf"environment variable {name}='{value}': .*{says}"):
        _load(tmp_path, **{name: value})


def test_a_wrong_value_in_code_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration EFIRST_CACHE_TTL='soon'"):
        load_config({"EFIRST_DATA_DIR": str(tmp_path), "EFIRST_CACHE_TTL": "soon"}, environ={})
    with pytest.raises(ConfigError, match="EFIRST_HSTS=1: expected bool"):
        load_config({"EFIRST_DATA_DIR": str(tmp_path), "EFIRST_HSTS": 1}, environ={})


def test_create_app_refuses_a_bad_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EFIRST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EFIRST_DELIVERY_DAYS", "thirty")
    with pytest.raises(ConfigError, match="EFIRST_DELIVERY_DAYS"):
        create_app()


def test_serve_says_which_variable_is_wrong(tmp_path: Path) -> None:
    env = {"EFIRST_DATA_DIR": str(tmp_path), "EFIRST_MAX_OFFSET": "-5"}
    result = CliRunner().invoke(serve, [], env=env)
    assert result.exit_code == 1
    assert "EFIRST_MAX_OFFSET='-5': must be at least 0" in result.output
    assert "Traceback" not in result.output


def test_modules_read_the_checked_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EFIRST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EFIRST_DELIVERY_MAX_ACCESSES", "3")
    monkeypatch.setenv("EFIRST_SMTP_PORT", "2525")
    monkeypatch.setenv("EFIRST_SMTP_HOST", "relay.example")
    app = create_app({"SECRET_KEY": "x"})
    monkeypatch.setenv("EFIRST_SMTP_PORT", "oops")  # read once, at startup
    with app.app_context():
        assert delivery_settings()["max_accesses"] == 3
        relay = smtp_settings()
    assert (relay.host, relay.port, relay.sender) == ("relay.example", 2525, "efirst@localhost")


def test_session_cookie_flags(tmp_path: Path) -> None:
    plain = load_config({"EFIRST_DATA_DIR": str(tmp_path)}, environ={})
    assert plain["SESSION_COOKIE_HTTPONLY"] is True
    assert plain["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not plain.get("SESSION_COOKIE_SECURE")
    https = _load(tmp_path, EFIRST_SECURE_COOKIES="1")
    assert https["SESSION_COOKIE_SECURE"] is True
