"""Configuration from environment variables, with defaults that work out of the box."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Where efirst keeps its state and which search engine it talks to.

    ``EFIRST_DATA_DIR`` (default ``./var``): tantivy index, sqlite3 databases, rejects
    reports, harvest state, uploaded files. ``EFIRST_SEARCH_URL`` (default empty): empty
    means the embedded tantivy engine; an ``http(s)://`` URL means Elasticsearch.
    ``EFIRST_INDEX_NAME`` (default ``efirst``): the Elasticsearch alias.
    """

    data_dir: Path
    search_url: str = ""
    index_name: str = "efirst"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            data_dir=Path(env.get("EFIRST_DATA_DIR") or "./var").resolve(),
            search_url=(env.get("EFIRST_SEARCH_URL") or "").strip(),
            index_name=env.get("EFIRST_INDEX_NAME") or "efirst",
        )

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def catalog_db(self) -> Path:
        """sqlite3: source records, clusters, holdings, e-holdings, harvest state."""
        return self.data_dir / "catalog.sqlite3"

    @property
    def ledger_db(self) -> Path:
        """sqlite3: requests, events, members' state, audit."""
        return self.data_dir / "ledger.sqlite3"

    @property
    def rejects_dir(self) -> Path:
        return self.data_dir / "rejects"

    def ensure_dirs(self) -> None:
        for path in (self.data_dir, self.rejects_dir):
            path.mkdir(parents=True, exist_ok=True)
