"""docker/scheduler.py and docker/jobs.toml: the periodic jobs of the compose deployment.

The jobs file is parsed and its commands resolved against the real ``efirst`` command
group; the scheduler then runs every job for real (``--once``) on an empty data dir, and
its loop is run with a short interval to show that jobs repeat, the heartbeat is
touched and a stop request is honoured.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
JOBS = DOCKER / "jobs.toml"


def _load_scheduler():
    spec = importlib.util.spec_from_file_location(
        "efirst_docker_scheduler", DOCKER / "scheduler.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


scheduler = _load_scheduler()


def test_the_jobs_the_product_needs_are_scheduled():
    jobs = {job.name: job for job in scheduler.load_jobs(JOBS)}
    commands = {" ".join(job.command) for job in jobs.values()}
    assert commands == {
        "efirst router tick",
        "efirst router import --due",
        "efirst admin process-uploads",
        "efirst delivery purge",
    }
    assert jobs["router-tick"].every <= 600  # lender timeouts are counted in hours
    assert all(job.every > 0 and job.timeout > 0 for job in jobs.values())


def test_every_command_exists_in_efirst():
    assert scheduler.check_commands(scheduler.load_jobs(JOBS)) == []
    done = subprocess.run(
        [sys.executable, str(DOCKER / "scheduler.py"), str(JOBS), "--check"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_wrong_command_is_named(tmp_path):
    path = tmp_path / "jobs.toml"
    path.write_text(
        '[[job]]\nname = "tock"\ncommand = ["efirst", "router", "tock"]\nevery = 60\n'
        '[[job]]\nname = "group"\ncommand = ["efirst", "router"]\nevery = 60\n'
        '[[job]]\nname = "shell"\ncommand = ["sh", "-c", "true"]\nevery = 60\n'
    )
    problems = scheduler.check_commands(scheduler.load_jobs(path))
    assert problems == [
        "tock: `efirst router tock`: no command 'tock'",
        "group: `efirst router` names a group",
        "shell: 'sh' is not the efirst command",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[job]]\nname = 'a'\ncommand = 'efirst router tick'\nevery = 60\n",
            "job 1 (a): `command`",
        ),
        ("[[job]]\nname = 'a'\ncommand = ['efirst']\nevery = 0\n", "job 1 (a): `every` must"),
        ("[[job]]\nname = 'a'\ncommand = ['efirst']\nevery = 1\nwhen = 2\n", "unknown key(s) when"),
        ("[[job]]\ncommand = ['efirst']\nevery = 1\n", "job 1 (no name): `name`"),
        ("title = 'no jobs'\n", "no [[job]] tables"),
        ("[[job]\n", "jobs.toml: "),
    ],
)
def test_a_bad_jobs_file_is_refused_with_where(tmp_path, text, message):
    path = tmp_path / "jobs.toml"
    path.write_text(text)
    with pytest.raises(scheduler.JobsError) as refused:
        scheduler.load_jobs(path)
    assert str(path) in str(refused.value) and message in str(refused.value)


def test_every_job_runs_once_for_real(tmp_path):
    env = {**os.environ, "EFIRST_DATA_DIR": str(tmp_path), "EFIRST_SEARCH_URL": ""}
    done = subprocess.run(
        [sys.executable, str(DOCKER / "scheduler.py"), str(JOBS), "--once"],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in ("router-tick", "router-import", "process-uploads", "delivery-purge"):
        assert f"scheduler {name}: exit status 0" in done.stderr


def test_a_failing_job_fails_the_single_pass(tmp_path):
    path = tmp_path / "jobs.toml"
    code = "import sys; sys.exit(3)"
    command = json.dumps([sys.executable, "-c", code])
    path.write_text(f"[[job]]\nname = 'bad'\ncommand = {command}\nevery = 1\n")
    done = subprocess.run(
        [sys.executable, str(DOCKER / "scheduler.py"), str(path), "--once"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "scheduler bad: exit status 3" in done.stderr


def test_the_loop_repeats_jobs_beats_and_stops(tmp_path):
    marks = tmp_path / "runs.txt"
    code = f"open({str(marks)!r}, 'a').write('run\\n')"
    job = scheduler.Job("mark", (sys.executable, "-c", code), every=0.2)
    heartbeat = tmp_path / "alive"
    stop = threading.Event()
    loop = threading.Thread(target=scheduler.run_forever, args=([job], stop, heartbeat))
    loop.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (
        not marks.exists() or marks.read_text().count("run") < 3
    ):
        time.sleep(0.1)
    stop.set()
    loop.join(timeout=30)
    assert not loop.is_alive()
    assert marks.read_text().count("run") >= 3
    assert heartbeat.exists()


def test_the_image_carries_the_scheduler_and_compose_runs_it():
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["scheduler"]
    dockerfile = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    script, jobs = service["command"][1:]
    assert service["command"][0] == "python"
    assert "COPY docker/scheduler.py docker/jobs.toml ./docker/" in dockerfile
    assert "WORKDIR /app" in dockerfile
    for path in (script, jobs):
        assert f"!{path}" in ignore  # sent to the build
        assert (ROOT / path).is_file()
    assert "/tmp/efirst-scheduler.alive" in " ".join(service["healthcheck"]["test"])
    assert str(scheduler.HEARTBEAT) == "/tmp/efirst-scheduler.alive"
