"""The printable ILL fee statement as one self-contained HTML document (for the CLI).

The same templates as the staff page (``usage/_fee_statement.html``), rendered by a
plain Jinja environment with autoescaping and untranslated (English) strings; the
stylesheet is inlined so the file prints on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from router.fees import FeeStatement

__all__ = ["fee_statement_html"]

HERE = Path(__file__).parent


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def fee_statement_html(
    statement: FeeStatement, names: Mapping[str, str], consortium: str = ""
) -> str:
    """The statement as a standalone, printable HTML page."""
    template = _environment().get_template("usage/fee_statement_print.html")
    return template.render(
        statement=statement,
        names=dict(names),
        consortium=consortium,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        inline_css=(HERE / "static" / "css" / "usage.css").read_text(encoding="utf-8"),
        lang="en",
    )
