"""Every setting of the web app, declared once: :data:`SETTINGS` (datasette's idea).

Each :class:`Setting` has its public name (the environment variable, kept exactly as the
issues and docs/configuration.md spell it), a default, a type and a help line. The app's
configuration is built by :func:`load_config` at ``create_app`` time: defaults, then the
``EFIRST_*`` environment variables, then a mapping (tests, embedding applications). Every
value is parsed and checked there, so a bad number is a startup error naming the variable,
never a 500 on some later request. Modules then read ``current_app.config[NAME]``.

Command-line tools that run without the app read the three storage settings through
:class:`indexer.settings.Settings` (same names and defaults; a test keeps them equal).

docs/configuration.md carries :func:`settings_markdown` (tests/test_docs_config.py checks).
"""

from __future__ import annotations

import copy
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from mappings.errors import ConsortiumError

__all__ = [
    "DEFAULTS",
    "ENV_KEYS",
    "SETTINGS",
    "ConfigError",
    "Setting",
    "load_config",
    "settings_markdown",
]

MIB = 1024 * 1024


class ConfigError(ConsortiumError, ValueError):
    """A setting holds a value of the wrong kind; the message names the setting."""


class Setting(NamedTuple):
    """One setting: ``type`` is ``str``, ``int``, ``float``, ``bool``, ``list`` (comma
    separated in the environment) or ``object`` (passed in code only, never from the
    environment). ``scope`` says who reads it: ``app`` (the web app's config), ``cli``
    (a command, from the environment), ``deploy`` (docker/compose.yaml only)."""

    name: str
    default: Any
    type: type
    help: str
    minimum: float | None = None
    maximum: float | None = None
    scope: str = "app"


S = Setting
# fmt: off
SETTINGS: tuple[Setting, ...] = (
    # -- storage and engine (indexer.settings.Settings reads the same three) -------------
    S("EFIRST_DATA_DIR", "./var", str,
      "Data directory: index, sqlite3 databases, uploads, rejects reports, the session key."),
    S("EFIRST_SEARCH_URL", "", str,
      "Empty: the embedded tantivy engine; `http(s)://host:9200`: Elasticsearch."),
    S("EFIRST_INDEX_NAME", "efirst", str,
      "The Elasticsearch alias searched (indices behind it are `<name>-<timestamp>`)."),
    # -- the web app ---------------------------------------------------------------------
    S("EFIRST_SECRET_KEY", "", str,
      "Signs sessions and CSRF tokens. Empty: a random key is created once in the data "
      "dir (set it when several hosts serve one site)."),
    S("EFIRST_PUBLIC_URL", "", str,
      "The site's public base URL for permalinks, widget snippets and e-mails (empty: "
      "the URL each request came in on)."),
    S("EFIRST_TRUSTED_PROXIES", 0, int,
      "Reverse proxies in front of the app (how many `X-Forwarded-*` hops to trust).",
      minimum=0),
    S("EFIRST_HSTS", False, bool, "Send `Strict-Transport-Security` (only behind HTTPS)."),
    S("EFIRST_SECURE_COOKIES", False, bool,
      "Mark the session cookie `Secure` (only behind HTTPS: the browser then never sends "
      "it over plain HTTP)."),
    S("EFIRST_MAX_UPLOAD_BYTES", 50 * MIB, int,
      "Largest request body accepted; bigger uploads are refused with 413 before "
      "anything is written.", minimum=1),
    S("EFIRST_CACHE_SIZE", 2048, int, "Hot-query cache: entries.", minimum=0),
    S("EFIRST_CACHE_TTL", 300, int, "Hot-query cache: seconds an entry lives.", minimum=0),
    S("EFIRST_PAGE_CACHE_SIZE", 512, int,
      "Rendered result-page cache: entries (they live EFIRST_CACHE_TTL seconds).", minimum=0),
    S("EFIRST_PAGE_SIZE", 20, int, "Results per page by default.", minimum=1),
    S("EFIRST_MAX_PAGE_SIZE", 100, int, "Most results per page a client may ask for.",
      minimum=1),
    S("EFIRST_MAX_OFFSET", 10000, int,
      "Deepest result a client may page to (offset + limit).", minimum=0),
    S("EFIRST_CORS_MAX_AGE", 600, int,
      "Seconds browsers may cache the API's CORS answer.", minimum=0),
    # -- members, router, resolver -------------------------------------------------------
    S("EFIRST_MEMBERS_FILE", "", str,
      "The members file (TOML). Empty: `<data dir>/members.toml` when it exists, else "
      "the bundled sample consortium."),
    S("EFIRST_NETWORK_FILE", "", str,
      "The delivery network (TOML). Empty: `<data dir>/network.toml` when it exists, "
      "else the bundled sample network."),
    S("EFIRST_CONSORTIUM_CODES", ["*"], list,
      "E-holdings every member may use: package owner codes, comma separated (`*`: all "
      "consortium packages)."),
    S("EFIRST_REQUEST_URL", "/request", str,
      "Where the resolver's 'Request delivery' option points (the request form)."),
    S("EFIRST_RESOLVER_CACHE_SIZE", 4096, int, "Resolver lookup cache: entries.",
      minimum=0),
    S("EFIRST_RESOLVER_CACHE_TTL", 600.0, float,
      "Resolver lookup cache: seconds an entry lives.", minimum=0),
    # -- staff accounts and administration ----------------------------------------------
    S("EFIRST_STAFF_DB", "", str,
      "Staff accounts database (empty: `<data dir>/ledger.sqlite3`)."),
    S("EFIRST_STAFF_PASSWORD_METHOD", "scrypt", str,
      "werkzeug hash method for new passwords (e.g. `scrypt`, `pbkdf2:sha256:600000`)."),
    S("EFIRST_STAFF_SESSION_HOURS", 12.0, float,
      "A staff session ends this many hours after sign-in.", minimum=0.01),
    S("EFIRST_ADMIN_INLINE_BYTES", 2 * MIB, int,
      "Holdings uploads up to this size are processed in the request; bigger ones wait "
      "for `efirst admin process-uploads`.", minimum=0),
    S("EFIRST_ADMIN_MAX_UPLOAD_BYTES", 512 * MIB, int,
      "Largest holdings file (KBART, MARC) a library administrator may upload (instead "
      "of EFIRST_MAX_UPLOAD_BYTES there).", minimum=1),
    # -- usage statistics ----------------------------------------------------------------
    S("EFIRST_USAGE", True, bool,
      "Capture usage events (searches, record views, full-text clicks, requests)."),
    S("EFIRST_USAGE_DB", "", str,
      "Usage events database (empty: `<data dir>/usage.sqlite3`)."),
    # -- e-mail --------------------------------------------------------------------------
    S("EFIRST_SMTP_HOST", "", str, "SMTP relay host (empty: no e-mail is sent)."),
    S("EFIRST_SMTP_PORT", 25, int, "SMTP relay port.", minimum=1, maximum=65535),
    S("EFIRST_SMTP_FROM", "efirst@localhost", str, "Sender address of notices."),
    S("EFIRST_SMTP_TIMEOUT", 10.0, float, "Seconds to wait for the relay.", minimum=0.1),
    # -- secure document delivery --------------------------------------------------------
    S("EFIRST_DELIVERY_MAX_ACCESSES", 5, int,
      "A delivered copy opens at most this many times ...", minimum=1),
    S("EFIRST_DELIVERY_DAYS", 30.0, float,
      "... or for this many days, whichever comes first; then the file is deleted.",
      minimum=0.001),
    S("EFIRST_DELIVERY_MAX_BYTES", 50 * MIB, int,
      "Largest scanned copy (PDF) a lender may upload.", minimum=1),
    # -- set in code only (tests, applications embedding efirst) -------------------------
    S("EFIRST_BACKEND", None, object, "An open search backend to use instead of building one."),
    S("EFIRST_MEMBERS", None, object, "Members (code -> Library) to use instead of the file."),
    S("EFIRST_EHOLDINGS", None, object, "An open e-holdings store for the resolver."),
    # -- commands and deployment ---------------------------------------------------------
    S("EFIRST_DEMO_PASSWORD", "", str,
      "`efirst demo`: password of the demo staff accounts (empty: a random one, shown).",
      scope="cli"),
    S("EFIRST_IMPORT_API_KEY", "", str,
      "`efirst router import`: the external system's API key (as `--api-key`).",
      scope="cli"),
    S("EFIRST_PORT", "8000", str,
      "docker/compose.yaml: host port the portal is published on.", scope="deploy"),
)
# fmt: on
del S

#: Flask settings derived from ours, plus fixed ones (not read from the environment).
FLASK_DEFAULTS: dict[str, Any] = {
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "SESSION_COOKIE_HTTPONLY": True,
    # Lax keeps the cookie off cross-site POSTs; the embedded portal carries the library
    # in its URLs, so it needs no cookie inside a cross-site iframe.
    "SESSION_COOKIE_SAMESITE": "Lax",
    "JSON_SORT_KEYS": False,
}

_APP = tuple(s for s in SETTINGS if s.scope == "app")
#: Defaults of the app's settings (and the fixed Flask ones).
DEFAULTS: dict[str, Any] = {s.name: s.default for s in _APP} | FLASK_DEFAULTS
#: Settings the environment may set, with their types.
ENV_KEYS: dict[str, type] = {s.name: s.type for s in _APP if s.type is not object}
_BY_NAME = {s.name: s for s in _APP}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse(setting: Setting, raw: str) -> Any:
    """A value from its environment spelling."""
    text = raw.strip()
    if setting.type is bool:
        if text.lower() not in _TRUE | _FALSE:
            raise ValueError("expected one of 1/0, true/false, yes/no, on/off")
        return text.lower() in _TRUE
    if setting.type is list:
        return [part.strip() for part in text.split(",") if part.strip()]
    if setting.type is int:
        return int(text.replace("_", ""))
    if setting.type is float:
        return float(text)
    return raw


def _check(setting: Setting, value: Any) -> Any:
    """``value`` converted to the setting's type and within its bounds (ValueError else)."""
    kind = setting.type
    if kind is object or value is None:
        return value
    if kind is str and isinstance(value, os.PathLike):
        value = os.fspath(value)
    elif isinstance(value, str) and kind is not str:
        value = _parse(setting, value)
    elif kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    elif kind is list and isinstance(value, tuple):
        value = list(value)
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(f"expected {kind.__name__}, got {type(value).__name__}")
    if setting.minimum is not None and value < setting.minimum:
        raise ValueError(f"must be at least {setting.minimum}")
    if setting.maximum is not None and value > setting.maximum:
        raise ValueError(f"must be at most {setting.maximum}")
    return value


def _stored_secret(path: Path) -> str:
    """A random key kept in the data dir, so every gunicorn worker signs sessions alike."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker may be writing it right now
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(
            f"{path}: empty secret key file; delete it or set EFIRST_SECRET_KEY"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The merged, checked configuration: defaults < environment < ``overrides``.

    Raises
    ------
    ConfigError
        A setting holds a value of the wrong kind or out of bounds; the message names
        the environment variable (or the configuration key) and the value.
    """
    env = os.environ if environ is None else environ
    config = copy.deepcopy(DEFAULTS)
    for name in ENV_KEYS:
        raw = env.get(name)
        if raw is None or (raw == "" and _BY_NAME[name].type is not str):
            continue
        try:
            config[name] = _check(_BY_NAME[name], _parse(_BY_NAME[name], raw))
        except ValueError as exc:
            raise ConfigError(f"environment variable {name}={raw!r}: {exc}") from None
    for name, value in (overrides or {}).items():
        setting = _BY_NAME.get(name)
        try:
            config[name] = _check(setting, value) if setting else value
        except ValueError as exc:
            raise ConfigError(f"configuration {name}={value!r}: {exc}") from None
    _derive(config)
    return config


def _derive(config: dict[str, Any]) -> None:
    """Fill the Flask settings that follow from ours (data dir made absolute)."""
    data_dir = Path(config["EFIRST_DATA_DIR"]).resolve()
    config["EFIRST_DATA_DIR"] = str(data_dir)
    secret = config.get("SECRET_KEY") or config.get("EFIRST_SECRET_KEY")
    config["SECRET_KEY"] = secret or _stored_secret(data_dir / "secret_key")
    config.setdefault("MAX_CONTENT_LENGTH", config["EFIRST_MAX_UPLOAD_BYTES"])
    if config["EFIRST_SECURE_COOKIES"]:
        config.setdefault("SESSION_COOKIE_SECURE", True)


def _shown(setting: Setting) -> str:
    value = setting.default
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, list):
        return "`" + ",".join(value) + "`"
    return f"`{value}`" if value != "" else "empty"


def settings_markdown() -> str:
    """The Markdown table of every setting (kept in docs/configuration.md; a test checks)."""
    lines = ["| Variable | Default | Type | Meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        kind = "in code only" if s.type is object else s.type.__name__
        scope = "" if s.scope == "app" else f" *({s.scope})*"
        lines.append(f"| `{s.name}` | {_shown(s)} | {kind} | {s.help}{scope} |")
    return "\n".join(lines) + "\n"
