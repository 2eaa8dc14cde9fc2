"""The sources file: one TOML table per OAI-PMH source (``$EFIRST_DATA_DIR/sources.toml``).

.. code-block:: toml

    [zenodo-physics]                  # the source name: `efirst harvest zenodo-physics`
    url = "https://zenodo.org/oai2d"  # OAI-PMH base URL (required)
    set = "user-physics"              # setSpec (optional; default: the whole repository)
    metadataPrefix = "oai_dc"         # default oai_dc
    mapping = "oai_dc"                # mappings/sources/<name>.toml or a path; default:
                                      #   oai_dc for oai_dc, marc21 for marc21/marcxml
    library = "PKU"                   # holding library code for the records (optional)
    from = "2024-01-01"               # first harvest starts here (optional)
    until = ""                        # upper bound (optional, for back-fills)
    max_retries = 5                   # per request: 503/429/5xx and network errors
    timeout = 60                      # seconds per HTTP request
    backoff = 2.0                     # first back-off wait (s), doubled each retry
    max_wait = 300                    # cap (s) on one wait, Retry-After included

Errors name the file and the key at fault.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from indexer.settings import Settings
from mappings.errors import MappingError

__all__ = ["SourceConfig", "load_sources", "sources_path"]

_KEYS = {
    "url": "url",
    "set": "set_spec",
    "metadataPrefix": "metadata_prefix",
    "metadata_prefix": "metadata_prefix",
    "mapping": "mapping",
    "library": "library",
    "from": "from_date",
    "until": "until",
    "max_retries": "max_retries",
    "timeout": "timeout",
    "backoff": "backoff",
    "max_wait": "max_wait",
}


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One OAI-PMH source (keys of the sources file in the module docstring)."""

    name: str
    url: str
    set_spec: str = ""
    metadata_prefix: str = "oai_dc"
    mapping: str = ""
    library: str = ""
    from_date: str = ""
    until: str = ""
    max_retries: int = 5
    timeout: float = 60.0
    backoff: float = 2.0
    max_wait: float = 300.0

    @property
    def mapping_name(self) -> str:
        """The mapping to use: as configured, else by metadataPrefix."""
        if self.mapping:
            return self.mapping
        return "oai_dc" if self.metadata_prefix == "oai_dc" else "marc21"


def sources_path(settings: Settings) -> Path:
    return settings.data_dir / "sources.toml"


def _source(name: str, table: Any, where: str) -> SourceConfig:
    if not isinstance(table, dict):
        raise MappingError(f"{where}: [{name}] must be a table")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise MappingError(f"{where}: [{name}] unknown key(s) {unknown}")
    if not str(table.get("url", "")).startswith(("http://", "https://")):
        raise MappingError(f"{where}: [{name}] url must be an http(s) OAI-PMH base URL")
    types = {f.name: f.type for f in fields(SourceConfig)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        attr = _KEYS[key]
        expected = types[attr]
        try:
            if expected == "int":
                value = int(value)
            elif expected == "float":
                value = float(value)
            elif not isinstance(value, str):
                raise TypeError
        except (TypeError, ValueError):
            raise MappingError(f"{where}: [{name}] {key} = {value!r} is not {expected}") from None
        values[attr] = value
    return SourceConfig(name=name, **values)


def load_sources(path: str | Path) -> dict[str, SourceConfig]:
    """Every source of a sources file; :class:`MappingError` names file and key at fault."""
    where = str(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise MappingError(f"{where}: no sources file (one [name] table per source)") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{where}: invalid TOML: {exc}") from None
    return {name: _source(name, table, where) for name, table in data.items()}
