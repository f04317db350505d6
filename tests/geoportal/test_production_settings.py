"""Production settings: DEBUG off unless asked for, no secret key of the demo's, and a
configuration that `manage.py check --deploy` passes without a single warning behind a TLS
proxy (HSTS, SECURE_PROXY_SSL_HEADER, secure cookies, SSL redirect)."""
from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # as a server is started: none of the test run's switches (tests/browser.py allows async-unsafe ORM calls)
    dropped = {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    full_env = {k: v for k, v in os.environ.items() if k not in dropped}
    full_env.update(env)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_passes_with_production_settings() -> None:
    full = _run("manage.py", "check", "--deploy", SECRET_KEY=secrets.token_urlsafe(50),
                ALLOWED_HOSTS="geoportal.example.org")
    assert full.returncode == 0, full.stdout + full.stderr
    found = set(re.findall(r"\(([a-z_0-9]+\.[WE]\d+)\)", full.stdout + full.stderr))
    # No security.* (HSTS, SSL redirect, proxy header, cookies, DEBUG, key) nor any other warning;
    # drf-spectacular's schema notes (views without a declared serializer) are the API
    # documentation's own work, not a deployment setting.
    assert {i for i in found if not i.startswith("drf_spectacular.")} == set(), full.stdout + full.stderr


def test_debug_is_off_unless_set_and_there_is_no_default_key() -> None:
    code = ("from django.conf import settings as s; "
            "print(s.DEBUG, s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)")
    env = {"DJANGO_SETTINGS_MODULE": "geoportal.settings"}
    without_key = _run("-c", code, **env)
    assert without_key.returncode != 0 and "SECRET_KEY is not set" in without_key.stderr
    production = _run("-c", code, SECRET_KEY=secrets.token_urlsafe(50), **env)
    assert production.returncode == 0, production.stderr
    assert production.stdout.split() == ["False", "('HTTP_X_FORWARDED_PROTO',", "'https')", "31536000", "True",
                                         "True", "True"]


def test_compose_and_the_demo_script_do_not_ship_the_demo_key_to_the_world() -> None:
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    published = re.findall(r'^\s+- "([^"]+)"$', compose.split("ports:", 1)[1], re.M)
    assert published and all(p.startswith("127.0.0.1:") for p in published), published
    assert 'export DEBUG="${DEBUG:-1}"' in (ROOT / "scripts" / "serve.sh").read_text(encoding="utf-8")


def test_error_reports_hide_connection_strings(rf) -> None:
    """A debug page (DEBUG=1) or a mailed error report showed DATABASE_URL and REDIS_URL
    (passwords included) among the settings and the request's environment."""
    from django.views.debug import get_default_exception_reporter_filter

    reporter = get_default_exception_reporter_filter()
    safe = reporter.get_safe_settings()
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY"):
        assert safe[name] == reporter.cleansed_substitute, name
    request = rf.get("/", DATABASE_URL="postgis://geoportal:hunter2@db/geoportal")
    assert "hunter2" not in str(reporter.get_safe_request_meta(request))
