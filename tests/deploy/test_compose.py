"""deploy/docker-compose.yml validates (``docker compose config``; no engine needed) and describes
the topology the other deploy tests run as processes: primary + standby behind PgBouncer in
transaction mode, Redis with AOF, MinIO, two web nodes and two workers, one beat, nginx with the
multi-node site, the web nodes trusting X-Forwarded-For from nginx's address only."""
from __future__ import annotations

import configparser
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from .cluster import ROOT

pytestmark = pytest.mark.deploy
COMPOSE = ROOT / "deploy" / "docker-compose.yml"


def compose_config() -> dict[str, Any]:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        command = ["docker", "compose", "-f", str(COMPOSE), "config"]
    else:
        assert shutil.which("docker-compose"), "the test set-up installs docker-compose"
        command = ["docker-compose", "-f", str(COMPOSE), "config"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout))


def test_the_compose_file_validates_and_describes_the_topology() -> None:
    services = compose_config()["services"]
    assert {"db-primary", "db-replica", "pgbouncer", "redis", "minio", "migrate", "web1", "web2", "worker1",
            "worker2", "beat", "nginx"} <= set(services)
    assert [name for name, s in services.items() if "beat" in str(s.get("command", ""))] == ["beat"]
    assert "--appendonly" in services["redis"]["command"]
    nginx_ip = services["nginx"]["networks"]["geoportal"]["ipv4_address"]
    for name in ("web1", "web2", "worker1", "worker2", "beat"):
        env = services[name]["environment"]
        assert env["GEOPORTAL_TRUSTED_PROXIES"] == nginx_ip, name
        assert env["DATABASE_URL"].split("@")[1].startswith("pgbouncer:"), name
        assert env["DATABASE_REPLICA_URL"].endswith("/geoportal_replica"), name
        assert env["DATABASE_POOLER"] == "transaction" and env["MEDIA_STORAGE"] == "s3", name
    assert services["migrate"]["environment"]["DATABASE_URL"].split("@")[1].startswith("db-primary:")
    assert any("nginx/cluster.conf:/etc/nginx/conf.d/" in str(v) for v in services["nginx"]["volumes"])

    bouncer = configparser.ConfigParser()
    bouncer.read(ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini")
    assert bouncer["pgbouncer"]["pool_mode"] == "transaction"
    assert set(bouncer["databases"]) == {"geoportal", "geoportal_replica"}
