"""The set-up script is idempotent and the compose file is valid."""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _services_env_kept() -> Iterator[None]:
    """The set-up writes var/services.env from the servers it is given; the test run's own
    (scripts/test-env.sh: a Redis on a port that closes when the run ends) must not stay there
    for the `make demo` that follows."""
    path = ROOT / "var" / "services.env"
    before = path.read_bytes() if path.exists() else None
    yield
    if before is not None:
        path.write_bytes(before)


@pytest.mark.slow
def test_setup_twice_changes_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    first = subprocess.run(["scripts/setup.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    stamp = (ROOT / ".venv" / ".geoportal-installed").stat().st_mtime
    second = subprocess.run(["scripts/setup.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    out = second.stdout
    for action in ("installing", "creating", "starting", "vendoring"):
        assert action not in out, f"second run should not be {action}: {out}"
    assert "system packages present" in out and "Python dependencies up to date" in out
    assert (ROOT / ".venv" / ".geoportal-installed").stat().st_mtime == stamp
    check = subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "--check"],
                           cwd=ROOT, env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_setup_with_external_servers_installs_nothing() -> None:
    """With DATABASE_URL/REDIS_URL set the script must not touch system packages or clusters."""
    text = (ROOT / "scripts" / "setup.sh").read_text()
    assert 'USE_EXTERNAL=1' in text
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgis://geoportal:geoportal@127.0.0.1:5432/geoportal")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    result = subprocess.run(["scripts/setup.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "installing no system packages" in result.stdout
    assert "starting PostgreSQL" not in result.stdout and "creating database" not in result.stdout


def test_docker_compose_config_is_valid() -> None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        command = ["docker", "compose", "config", "-q"]
    else:
        assert shutil.which("docker-compose"), "the test set-up installs docker-compose"
        command = ["docker-compose", "config", "-q"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    services = subprocess.run([*command[:-1], "--services"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert {"db", "redis", "web", "worker", "beat", "migrate"} <= set(services)
