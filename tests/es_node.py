"""A real single-node Elasticsearch for the tests: fetched, started and stopped here.

The official distribution (``integ-test-zip``, the one Elastic publishes on Maven Central
for plugin integration tests) is fetched once with Maven into the git-ignored
``.cache/es`` folder, unpacked, and started on ``127.0.0.1`` on a free port, security
off, 512 MB heap, ``discovery.type=single-node``. Elasticsearch refuses to run as root,
so when we are root a system user ``efirst-es`` is created and owns the node's files
(unpacked under ``/tmp/efirst-es`` instead when that user could not reach the checkout,
e.g. one under ``/root``).

From Python (the pytest fixtures use this)::

    node = EsNode()
    url = node.start()      # fetches and unpacks on first use, waits for yellow/green
    ...
    node.stop()

From a shell (``.ci/run`` or a developer)::

    python tests/es_node.py fetch     # download + unpack only
    python tests/es_node.py start     # prints the URL; the node keeps running
                                      # (``--heap 1g``: heap size, default 512m)
    python tests/es_node.py stop      # stops the node started by `start`

``EFIRST_TEST_ES_URL`` set: :func:`shared_url` uses that node and starts nothing.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

__all__ = [
    "ES_ARTIFACT",
    "ES_VERSION",
    "EsNode",
    "EsNodeError",
    "MVN_COMMAND",
    "drop_indices",
    "node_required",
    "shared_url",
]

#: The newest 8.x integ-test-zip on Maven Central that runs on Java 17 (9.x needs 21).
ES_VERSION = "8.19.21"
ES_ARTIFACT = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{ES_VERSION}:zip"
ES_USER = "efirst-es"
REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "es"
STATE_FILE = CACHE / "node.json"
MVN_COMMAND = (
    "mvn",
    "-B",
    "-q",
    "dependency:copy",
    f"-Dartifact={ES_ARTIFACT}",
    f"-DoutputDirectory={CACHE}",
)


class EsNodeError(RuntimeError):
    """The test node could not be fetched, started or reached."""


def _free_port(start: int) -> int:
    for port in range(start, start + 500):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise EsNodeError(f"no free port on 127.0.0.1 in {start}..{start + 499}")


def _java_home() -> str:
    """``ES_JAVA_HOME`` or ``JAVA_HOME`` if set, else the JDK of the ``java`` on PATH."""
    for name in ("ES_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(name):
            return os.environ[name]
    java = shutil.which("java")
    if not java:
        raise EsNodeError("no Java found: install a JDK 17+ or set ES_JAVA_HOME")
    return str(Path(java).resolve().parents[1])


def _ensure_user() -> pwd.struct_passwd | None:
    """The account the node runs as: ourselves, or ``efirst-es`` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(ES_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ES_USER],
            check=True,
        )
        return pwd.getpwnam(ES_USER)


def _traversable(path: Path) -> bool:
    """Can another user reach ``path`` (every existing ancestor searchable by others)?"""
    if os.geteuid() != 0:
        return True  # the node runs as ourselves
    for folder in [path, *path.parents]:
        if folder.exists() and not folder.stat().st_mode & 0o001:
            return False
    return True


def _chown_tree(path: Path, user: pwd.struct_passwd) -> None:
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), user.pw_uid, user.pw_gid)
    os.chown(path, user.pw_uid, user.pw_gid)


def _unzip(archive: Path, target: Path) -> None:
    """Unpack keeping the Unix permission bits (zipfile alone drops them)."""
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            path = Path(zipped.extract(info, target))
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                path.chmod(mode)


def _get(url: str, timeout: float = 5.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


class EsNode:
    """One Elasticsearch node under ``.cache/es/run-<port>``, owned by this object."""

    def __init__(self, version: str = ES_VERSION, cache: Path = CACHE, heap: str = "512m") -> None:
        self.version = version
        self.heap = heap
        self.cache = cache
        #: Where the node's files live: the cache, unless the node's user could not
        #: reach it (e.g. a checkout under /root, mode 700): then a folder under /tmp.
        self.work = cache if _traversable(cache) else Path(tempfile.gettempdir()) / ES_USER
        self.home = self.work / f"elasticsearch-{version}"
        self.port = 0
        self.run_dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- fetch -----------------------------------------------------------------------
    def fetch(self) -> Path:
        """Download the zip with Maven (once) and unpack it (once); the install dir."""
        if (self.home / "bin" / "elasticsearch").exists():
            return self.home
        archive = self.cache / f"elasticsearch-{self.version}.zip"
        if not archive.exists():
            if not shutil.which("mvn"):
                raise EsNodeError("Maven (mvn) is needed to fetch Elasticsearch")
            self.cache.mkdir(parents=True, exist_ok=True)
            command = [part.replace(ES_VERSION, self.version) for part in MVN_COMMAND]
            done = subprocess.run(command, capture_output=True, text=True, timeout=900)
            if done.returncode or not archive.exists():
                raise EsNodeError(f"`{' '.join(command)}` failed:\n{done.stdout[-2000:]}")
        self.work.mkdir(parents=True, exist_ok=True)
        partial = self.work / f".unpack-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        _unzip(archive, partial)
        (partial / self.home.name).rename(self.home)
        shutil.rmtree(partial, ignore_errors=True)
        return self.home

    # -- start / stop ------------------------------------------------------------------
    def start(self, port: int | None = None, timeout: float = 180.0) -> str:
        """Start the node and wait until the cluster is yellow or green; its URL."""
        self.fetch()
        self.port = port or _free_port(9250)
        transport = _free_port(9350 if self.port != 9350 else 9351)
        self.run_dir = self.work / f"run-{self.port}"
        shutil.rmtree(self.run_dir, ignore_errors=True)
        for sub in ("data", "logs", "tmp"):
            (self.run_dir / sub).mkdir(parents=True)
        user = _ensure_user()
        if user is not None:
            _chown_tree(self.home, user)
            _chown_tree(self.run_dir, user)
        with (self.run_dir / "console.log").open("wb") as console:
            self.process = subprocess.Popen(
                self._command(transport),
                env=self._env(),
                stdout=console,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                user=user.pw_uid if user else None,
                group=user.pw_gid if user else None,
                extra_groups=[] if user else None,
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _command(self, transport: int) -> list[str]:
        assert self.run_dir is not None
        settings = {
            "cluster.name": f"efirst-test-{self.port}",
            "node.name": "efirst-test",
            "discovery.type": "single-node",
            "network.host": "127.0.0.1",
            "http.port": str(self.port),
            "transport.port": str(transport),
            "path.data": str(self.run_dir / "data"),
            "path.logs": str(self.run_dir / "logs"),
            "xpack.security.enabled": "false",
            "action.destructive_requires_name": "false",
            "cluster.routing.allocation.disk.threshold_enabled": "false",
        }
        command = [str(self.home / "bin" / "elasticsearch")]
        for key, value in settings.items():
            command += ["-E", f"{key}={value}"]
        return command

    def _env(self) -> dict[str, str]:
        assert self.run_dir is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ES_", "JAVA_"))}
        env["ES_JAVA_HOME"] = _java_home()
        env["ES_JAVA_OPTS"] = f"-Xms{self.heap} -Xmx{self.heap}"
        env["ES_TMPDIR"] = str(self.run_dir / "tmp")
        return env

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        health = f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=5s"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise EsNodeError(
                    f"Elasticsearch exited with {self.process.returncode}:\n{self.console_tail()}"
                )
            try:
                if _get(health, timeout=10).get("status") in ("yellow", "green"):
                    return
            except (OSError, urllib.error.URLError, ValueError):
                pass
            time.sleep(1.0)
        raise EsNodeError(f"Elasticsearch not ready after {timeout:.0f}s:\n{self.console_tail()}")

    def console_tail(self, lines: int = 40) -> str:
        if self.run_dir is None or not (self.run_dir / "console.log").exists():
            return ""
        text = (self.run_dir / "console.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, timeout: float = 60.0) -> None:
        """Stop the node (SIGTERM to its process group, SIGKILL after ``timeout``)."""
        if self.process is None:
            return
        _stop_group(self.process.pid, timeout)
        self.process.wait(timeout=5)
        self.process = None
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_group(pid: int, timeout: float) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        reaped = _reap(pid)
        if reaped and not _group_alive(pid):
            return
        time.sleep(0.3)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _reap(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return not _alive(pid)
    return done == pid


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def drop_indices(client: Any, pattern: str) -> None:
    """Delete the indices matching ``pattern`` by name (wildcard deletes are refused by
    default on Elasticsearch 8, e.g. on a node given by ``EFIRST_TEST_ES_URL``)."""
    names = list(client.indices.get(index=pattern, ignore_unavailable=True, allow_no_indices=True))
    if names:
        client.indices.delete(index=",".join(names))


# -- one node per test session ---------------------------------------------------------
_SHARED: dict[str, object] = {}


def node_required() -> bool:
    """In CI (``CI`` set) or with ``EFIRST_REQUIRE_ES=1`` a missing node fails the tests."""
    return bool(os.environ.get("CI") or os.environ.get("EFIRST_REQUIRE_ES"))


def shared_url() -> str:
    """``EFIRST_TEST_ES_URL``, or the URL of a node started once for this process.

    The node is stopped when the process exits. Raises :class:`EsNodeError` when it
    cannot be started (the caller decides whether that fails or skips).
    """
    if os.environ.get("EFIRST_TEST_ES_URL"):
        return os.environ["EFIRST_TEST_ES_URL"].rstrip("/")
    if "error" in _SHARED:
        raise EsNodeError(str(_SHARED["error"]))
    if "url" not in _SHARED:
        node = EsNode()
        try:
            _SHARED["url"] = node.start()
        except (EsNodeError, OSError, subprocess.SubprocessError) as exc:
            _SHARED["error"] = exc
            raise EsNodeError(str(exc)) from exc
        atexit.register(node.stop)
    return str(_SHARED["url"])


# -- command line ------------------------------------------------------------------------
def _cli(argv: list[str]) -> int:
    action = argv[1] if len(argv) > 1 else ""
    if action == "fetch":
        print(EsNode().fetch())
        return 0
    if action == "start":
        heap = argv[argv.index("--heap") + 1] if "--heap" in argv[2:-1] else "512m"
        node = EsNode(heap=heap)
        url = node.start()
        assert node.process is not None
        STATE_FILE.write_text(
            json.dumps({"pid": node.process.pid, "url": url, "run_dir": str(node.run_dir)})
        )
        print(url)
        return 0
    if action == "stop":
        if not STATE_FILE.exists():
            print("no node started by `python tests/es_node.py start`", file=sys.stderr)
            return 1
        state = json.loads(STATE_FILE.read_text())
        _stop_group(int(state["pid"]), 60.0)
        shutil.rmtree(state["run_dir"], ignore_errors=True)
        STATE_FILE.unlink()
        return 0
    print("usage: python tests/es_node.py fetch|start [--heap 1g]|stop", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_cli(sys.argv))
