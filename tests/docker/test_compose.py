"""docker/: the compose file and the image, validated without a Docker engine.

The files are parsed and checked against the code they deploy (settings names, the
Elasticsearch version of the test node, the app factory); the image's ``CMD`` is then
run for real with gunicorn, as the container would run it, on a free loopback port.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import es_node  # tests/es_node.py (tests/ is on sys.path via tests/conftest.py)
import pytest
import yaml

from indexer.settings import Settings
from search_app.config import ENV_KEYS, SETTINGS, Setting

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dockerfile() -> dict[str, list[str]]:
    """Dockerfile instructions (continuation lines joined), by keyword."""
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.setdefault(keyword.upper(), []).append(rest.strip())
    return found


def _cmd(dockerfile: dict[str, list[str]]) -> list[str]:
    (cmd,) = dockerfile["CMD"]
    return json.loads(cmd)


def _app_env(compose: dict) -> dict[str, str]:
    """The app's environment with ``${VAR:-default}`` resolved to the default."""
    env = compose["services"]["app"]["environment"]
    return {k: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(v)) for k, v in env.items()}


#: Settings an operator does not set through compose, and why (every other setting of
#: ``SETTINGS`` must be passed through to the app and the scheduler).
NOT_PASSED = {
    "EFIRST_PORT": "compose itself reads it (the published port), not the application",
}
#: Settings compose fixes instead of passing through, and why.
FIXED = {
    "EFIRST_DATA_DIR": "the mount point of the efirst-data volume inside the container",
}
_PASSED = re.compile(r"^\$\{(?P<name>\w+):-(?P<default>[^}]*)\}$")


def _env_spelling(setting: Setting) -> str:
    """A setting's default as an environment value."""
    value = setting.default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def _raw_env(service: str) -> dict[str, str]:
    """A service's environment as written (``${...}`` not resolved)."""
    text = (DOCKER / "compose.yaml").read_text(encoding="utf-8")
    return {k: str(v) for k, v in yaml.safe_load(text)["services"][service]["environment"].items()}


@pytest.mark.parametrize(
    "setting", [s for s in SETTINGS if s.type is not object], ids=lambda s: s.name
)
def test_every_operator_setting_is_passed_through(setting):
    """A variable set in the shell or `.env` reaches the containers, with the app's default."""
    env = _raw_env("app")
    if setting.name in NOT_PASSED:
        assert setting.name not in env
        return
    if setting.name in FIXED:
        assert env[setting.name] and "$" not in env[setting.name]
        return
    assert setting.name in env, f"{setting.name} is not passed through by docker/compose.yaml"
    found = _PASSED.match(env[setting.name])
    assert found and found["name"] == setting.name, f"{setting.name}: {env[setting.name]!r}"
    default = found["default"]
    if setting.name == "EFIRST_SEARCH_URL":
        assert default == "http://elasticsearch:9200"  # this deployment's engine
    elif default:
        assert default == _env_spelling(setting), f"{setting.name}: default differs from SETTINGS"
    else:  # empty: the application's default, for every type but a text with a default
        assert setting.type is not str or setting.default == "", setting.name


def test_the_scheduler_gets_the_apps_environment_and_data(compose):
    services = compose["services"]
    assert _raw_env("scheduler") == _raw_env("app")
    assert services["scheduler"]["volumes"] == services["app"]["volumes"]
    assert services["scheduler"]["image"] == services["app"]["image"]
    assert services["scheduler"]["build"] == services["app"]["build"]
    assert services["scheduler"]["healthcheck"]["test"]


def test_an_empty_passed_value_means_the_default():
    """What compose passes when nothing is set is exactly the application's defaults."""
    from search_app.config import DEFAULTS, load_config

    env = {k: v for k, v in _app_env(yaml.safe_load((DOCKER / "compose.yaml").read_text()))
           .items() if k in ENV_KEYS}  # fmt: skip
    env["EFIRST_DATA_DIR"] = DEFAULTS["EFIRST_DATA_DIR"]
    env["EFIRST_SEARCH_URL"] = ""
    env["EFIRST_SECRET_KEY"] = "x"
    config, defaults = load_config(environ=env), load_config(environ={"EFIRST_SECRET_KEY": "x"})
    assert {k: config[k] for k in ENV_KEYS} == {k: defaults[k] for k in ENV_KEYS}


def test_elasticsearch_image_is_pinned_to_the_test_node_version(compose):
    image = compose["services"]["elasticsearch"]["image"]
    assert image == f"docker.elastic.co/elasticsearch/elasticsearch:{es_node.ES_VERSION}"
    env = compose["services"]["elasticsearch"]["environment"]
    assert env["discovery.type"] == "single-node"


def test_app_environment_names_are_the_ones_the_code_reads(compose):
    env = _app_env(compose)
    declared = {s.name for s in SETTINGS}
    assert set(env) <= declared, set(env) - declared
    settings = Settings.from_env(env)
    assert settings.search_url == "http://elasticsearch:9200"
    assert settings.index_name == "efirst"
    assert str(settings.data_dir) == "/data"


def test_the_search_url_names_the_elasticsearch_service(compose):
    url = _app_env(compose)["EFIRST_SEARCH_URL"]
    assert url.split("//")[1].split(":")[0] in compose["services"]


def test_data_dir_is_a_named_volume(compose, dockerfile):
    data_dir = _app_env(compose)["EFIRST_DATA_DIR"]
    mounts = dict(v.split(":")[::-1] for v in compose["services"]["app"]["volumes"])
    assert mounts[data_dir] in compose["volumes"]
    assert dockerfile["VOLUME"] == [f'["{data_dir}"]']
    assert f"EFIRST_DATA_DIR={data_dir}" in " ".join(dockerfile["ENV"])


def test_health_checks_and_start_order(compose, dockerfile):
    services = compose["services"]
    assert services["elasticsearch"]["healthcheck"]["test"]
    assert services["app"]["healthcheck"]["test"]
    assert services["app"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert dockerfile["HEALTHCHECK"]


def test_published_port_is_the_port_gunicorn_binds(compose, dockerfile):
    cmd = _cmd(dockerfile)
    bind = cmd[cmd.index("--bind") + 1]
    (published,) = compose["services"]["app"]["ports"]
    assert published.rsplit(":", 1)[1] == bind.rsplit(":", 1)[1]
    assert dockerfile["EXPOSE"] == [bind.rsplit(":", 1)[1]]


def test_image_runs_as_an_unprivileged_user(dockerfile):
    assert dockerfile["USER"] == ["efirst"]


def test_every_app_setting_is_documented():
    """Each variable compose reads is in docker/README.md or (an application setting) in
    docs/configuration.md, which the README links to."""
    readme = (DOCKER / "README.md").read_text(encoding="utf-8")
    settings_doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert "(../docs/configuration.md)" in readme
    compose_text = (DOCKER / "compose.yaml").read_text(encoding="utf-8")
    for name in set(re.findall(r"\$\{(\w+)", compose_text)) | {"EFIRST_DATA_DIR"}:
        declared = name in {s.name for s in SETTINGS}
        where = settings_doc if declared else readme
        assert f"`{name}`" in where, f"{name} is not documented"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 60.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                return response.read()
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_the_image_command_serves_the_app(compose, dockerfile, tmp_path):
    """Run the Dockerfile's CMD (bind address swapped for a free loopback port)."""
    cmd = _cmd(dockerfile)
    assert cmd[0] == "gunicorn" and cmd[-1] == "search_app:create_app()"
    port = _free_port()
    cmd[cmd.index("--bind") + 1] = f"127.0.0.1:{port}"
    down = f"http://127.0.0.1:{_free_port()}"  # Elasticsearch "down": the app must cope
    env = {**os.environ, **_app_env(compose), "EFIRST_DATA_DIR": str(tmp_path),
           "EFIRST_SEARCH_URL": down, "WEB_CONCURRENCY": "1"}  # fmt: skip
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/v1/openapi.json", process)
        check = compose["services"]["app"]["healthcheck"]["test"]
        check = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in check[1:]]
        assert subprocess.run(check, timeout=30).returncode == 0, shlex.join(check)
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/search?q=x", timeout=30)  # noqa: S310
        error = json.loads(answer.value.read())["error"]
        assert answer.value.code == 503 == error["status"]
        assert error["code"] == "unavailable" and "cannot be reached" in error["message"]
        with pytest.raises(urllib.error.HTTPError) as page:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q=x&lang=en", timeout=30)  # noqa: S310
        html = page.value.read().decode()
        assert page.value.code == 503
        assert "search service is unavailable" in html and "Traceback" not in html
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()
