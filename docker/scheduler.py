"""The periodic jobs of an efirst site, for a container that has no cron.

``python docker/scheduler.py docker/jobs.toml`` runs each job of the jobs file (an
``efirst`` command line and how often, in seconds) at its interval, one job at a time,
for ever: the ``scheduler`` service of ``docker/compose.yaml``. Each run is logged as
one line (job, exit status, seconds); a failing job is tried again at its next turn. A
heartbeat file is touched on every pass (the service's health check reads its age).
SIGTERM or SIGINT stop it after the job running, if any.

- ``--once``: run every job once and exit (status 1 when one failed);
- ``--check``: validate the file and that every command is an ``efirst`` command.

Only the standard library: the image needs nothing besides efirst itself.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Job", "JobsError", "check_commands", "load_jobs", "main", "run_forever", "run_job"]

log = logging.getLogger("efirst.scheduler")

HEARTBEAT = Path("/tmp/efirst-scheduler.alive")  # noqa: S108 - inside the container only
#: Longest a job may run before it is stopped (seconds), unless the job sets ``timeout``.
DEFAULT_TIMEOUT = 3600


class JobsError(ValueError):
    """The jobs file is not what :func:`load_jobs` expects; the message says where."""


@dataclass(frozen=True, slots=True)
class Job:
    """One periodic command."""

    name: str
    command: tuple[str, ...]
    every: float
    timeout: float = DEFAULT_TIMEOUT


def _job(path: Path, number: int, table: dict[str, Any]) -> Job:
    where = f"{path}: job {number} ({table.get('name', 'no name')})"
    unknown = set(table) - {"name", "command", "every", "timeout"}
    if unknown:
        raise JobsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name, command = table.get("name"), table.get("command")
    every, timeout = table.get("every"), table.get("timeout", DEFAULT_TIMEOUT)
    if not isinstance(name, str) or not name:
        raise JobsError(f"{where}: `name` must be a non-empty string")
    if not (isinstance(command, list) and command and all(isinstance(c, str) for c in command)):
        raise JobsError(f"{where}: `command` must be a list of strings, e.g. ['efirst', ...]")
    for key, value in (("every", every), ("timeout", timeout)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise JobsError(f"{where}: `{key}` must be a positive number of seconds")
    return Job(name, tuple(command), float(every), float(timeout))


def load_jobs(path: Path) -> list[Job]:
    """The jobs of ``path`` (TOML, an array of ``[[job]]`` tables); JobsError when bad."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise JobsError(f"{path}: {exc}") from None
    tables = data.get("job")
    if not isinstance(tables, list) or not tables:
        raise JobsError(f"{path}: no [[job]] tables")
    jobs = [_job(path, n, table) for n, table in enumerate(tables, 1)]
    names = [job.name for job in jobs]
    if len(set(names)) != len(names):
        raise JobsError(f"{path}: job names must be unique: {names}")
    return jobs


def check_commands(jobs: list[Job]) -> list[str]:
    """Problems with the jobs' commands: each must be an existing ``efirst`` command."""
    import click

    from search_app.cli import main as efirst

    problems = []
    for job in jobs:
        if job.command[0] != "efirst":
            problems.append(f"{job.name}: {job.command[0]!r} is not the efirst command")
            continue
        group: click.Command = efirst
        for word in job.command[1:]:
            if word.startswith("-"):
                break
            if not isinstance(group, click.Group):
                problems.append(f"{job.name}: {group.name} takes no subcommand {word!r}")
                break
            found = group.get_command(click.Context(group), word)
            if found is None:
                problems.append(f"{job.name}: `{' '.join(job.command)}`: no command {word!r}")
                break
            group = found
        else:
            if isinstance(group, click.Group):
                problems.append(f"{job.name}: `{' '.join(job.command)}` names a group")
    return problems


def run_job(job: Job) -> int:
    """Run ``job`` once; its exit status (-1 when it ran over its timeout)."""
    started = time.monotonic()
    try:
        status = subprocess.run(job.command, timeout=job.timeout, check=False).returncode  # noqa: S603
    except subprocess.TimeoutExpired:
        status = -1
    except OSError as exc:
        log.error("%s: cannot run %s: %s", job.name, job.command[0], exc)
        return 127
    took = time.monotonic() - started
    level = logging.INFO if status == 0 else logging.ERROR
    log.log(level, "%s: exit status %s after %.1fs", job.name, status, took)
    return status


def _beat(heartbeat: Path, stop: threading.Event, every: float = 30.0) -> None:
    while not stop.is_set():
        heartbeat.touch()
        stop.wait(every)


def run_forever(jobs: list[Job], stop: threading.Event, heartbeat: Path = HEARTBEAT) -> None:
    """Run each job at its interval until ``stop`` is set (all are due at the start).

    ``heartbeat`` is touched every 30 seconds meanwhile, also while a long job runs
    (a job that hangs is ended by its ``timeout``).
    """
    threading.Thread(target=_beat, args=(heartbeat, stop), daemon=True).start()
    due = {job.name: 0.0 for job in jobs}
    while not stop.is_set():
        for job in jobs:
            if stop.is_set():
                return
            if time.monotonic() >= due[job.name]:
                run_job(job)
                due[job.name] = time.monotonic() + job.every
        stop.wait(max(0.0, min(min(due.values()) - time.monotonic(), 30.0)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scheduler.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("jobs", type=Path, help="the jobs file (docker/jobs.toml)")
    parser.add_argument("--once", action="store_true", help="run every job once and exit")
    parser.add_argument("--check", action="store_true", help="validate the file and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s scheduler %(message)s", level=logging.INFO)
    try:
        jobs = load_jobs(args.jobs)
    except JobsError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        problems = check_commands(jobs)
        for problem in problems:
            print(f"Error: {problem}", file=sys.stderr)
        return 2 if problems else 0
    if args.once:
        return 1 if any([run_job(job) for job in jobs]) else 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("%d job(s): %s", len(jobs), ", ".join(f"{j.name} every {j.every:g}s" for j in jobs))
    run_forever(jobs, stop)
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
