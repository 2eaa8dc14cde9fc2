"""Writing the members file: one member's settings changed, everything else kept.

The admin pages change one member at a time. :func:`update_member` reads the file,
applies the changes to that member's table (and its ``[members.policy]``), writes the
whole document with ``tomli-w`` to a temporary file next to the original, validates that
file with :func:`router.members.load_members` and only then moves it over the original
(``os.replace``, atomic on POSIX). A change that fails validation leaves the file exactly
as it was and raises :class:`~router.members.MembersFileError` naming the member and the
field. Writers are serialised by an advisory lock (``<file>.lock``), so two administrators
saving at once cannot lose each other's change. Comments are not kept (TOML writers
cannot); every value of every member is.

>>> import tempfile, shutil
>>> from router.members import SAMPLE_MEMBERS
>>> folder = Path(tempfile.mkdtemp()); path = folder / "members.toml"
>>> _ = shutil.copy(SAMPLE_MEMBERS, path)
>>> update_member(path, "211010", {"address": "5 Yiheyuan Road"}).address
'5 Yiheyuan Road'
>>> shutil.rmtree(folder)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import tomli_w

from mappings.schema import Library
from router.members import MembersFileError, load_members

__all__ = ["member_entry", "read_document", "update_member"]

HEADER = (
    "# The consortium's members file, last written by the efirst admin pages.\n"
    "# Every key is documented in router/sample/members.toml.\n\n"
)


def read_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The members file as plain TOML data (no defaults applied)."""
    try:
        with Path(path).open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise MembersFileError(str(path), [f"cannot read: {exc.strerror or exc}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise MembersFileError(str(path), [f"not valid TOML: {exc}"]) from exc


def _find(document: dict[str, Any], code: str, path: str) -> dict[str, Any]:
    for entry in document.get("members", []):
        if isinstance(entry, dict) and str(entry.get("code", "")).strip() == code:
            return entry
    raise MembersFileError(path, [f"member {code}: not in the members file"])


def member_entry(path: str | os.PathLike[str], code: str) -> dict[str, Any]:
    """The raw table of member ``code`` (its own policy only, defaults not merged)."""
    return _find(read_document(path), code, str(path))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _apply(table: dict[str, Any], changes: Mapping[str, Any]) -> None:
    """Set each key; ``None`` removes it."""
    for key, value in changes.items():
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value


def _write_validated(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` beside ``path``, validate it, then replace ``path`` atomically."""
    data = (HEADER + tomli_w.dumps(document)).encode("utf-8")
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        try:
            load_members(temp)
        except MembersFileError as exc:
            raise MembersFileError(str(path), exc.problems) from None
        with contextlib.suppress(OSError):
            os.chmod(temp, path.stat().st_mode & 0o777)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def update_member(
    path: str | os.PathLike[str],
    code: str,
    changes: Mapping[str, Any] | None = None,
    policy: Mapping[str, Any] | None = None,
) -> Library:
    """Change member ``code``'s fields (``changes``) and policy keys (``policy``).

    A value of ``None`` removes the key (the default then applies). Returns the member
    as loaded from the new file.

    Raises
    ------
    MembersFileError
        The member is unknown, or the changed file would not validate (the problems name
        the member and the field); the file on disk is unchanged.
    """
    path = Path(path)
    if "code" in (changes or {}):
        raise MembersFileError(str(path), [f"member {code}, field code: cannot be changed here"])
    with _locked(path):
        document = read_document(path)
        entry = _find(document, code, str(path))
        _apply(entry, changes or {})
        if policy:
            table = entry.setdefault("policy", {})
            _apply(table, policy)
            if not table:
                entry.pop("policy")
        _write_validated(path, document)
        return load_members(path)[code]
