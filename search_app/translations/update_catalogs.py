"""Rebuild the catalogs: extract messages, merge them into each locale, compile ``.mo``.

Run from the repository root after changing translatable text::

    python search_app/translations/update_catalogs.py

(the same as ``pybabel extract`` / ``update`` / ``compile`` with the options in
``search_app/babel.cfg``). Translators edit ``<locale>/LC_MESSAGES/messages.po``; the
compiled ``.mo`` files are committed so a fresh clone runs without a build step, and
``tests/search_app/test_i18n.py`` fails when they are stale.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def main() -> None:
    pot = HERE / "messages.pot"
    pybabel = [sys.executable, "-m", "babel.messages.frontend"]
    subprocess.run(
        [
            *pybabel,
            "extract",
            "-F",
            str(HERE.parent / "babel.cfg"),
            "-k",
            "_l",
            "--no-location",
            "--sort-output",
            "-o",
            str(pot),
            str(HERE.parent),
        ],
        check=True,
        cwd=ROOT,
    )
    subprocess.run(
        [*pybabel, "update", "-i", str(pot), "-d", str(HERE), "--no-fuzzy-matching"],
        check=True,
        cwd=ROOT,
    )
    subprocess.run([*pybabel, "compile", "-d", str(HERE), "--statistics"], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
