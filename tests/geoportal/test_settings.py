"""Settings come from the environment and refuse unsafe production configurations."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE"}}
    full_env["DEBUG"] = "1"  # the demo's configuration unless a test asks for production
    full_env.update(env)
    code = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','geoportal.settings'); django.setup(); " \
           "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY[:6], settings.EMAIL_BACKEND)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True)


def test_production_refuses_the_demo_secret_key() -> None:
    result = _load_settings(DEBUG="0", SECRET_KEY="demo-insecure-secret-key-change-me")
    assert result.returncode != 0
    assert "demo SECRET_KEY" in result.stderr


def test_production_accepts_a_secret_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret"
    key_file.write_text("s3cr3t-" * 8 + "\n")
    result = _load_settings(DEBUG="0", SECRET_KEY_FILE=str(key_file), EMAIL_URL="smtp://u:p@mail.example:587?tls=1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "s3cr3t", "django.core.mail.backends.smtp.EmailBackend"]


def test_missing_secret_key_file_is_a_clear_error(tmp_path: Path) -> None:
    result = _load_settings(SECRET_KEY_FILE=str(tmp_path / "nope"))
    assert result.returncode != 0
    assert "SECRET_KEY_FILE" in result.stderr


def test_short_production_key_is_refused() -> None:
    result = _load_settings(DEBUG="0", SECRET_KEY="short")
    assert "at least 32 characters" in result.stderr


def test_malformed_boolean_and_email_url_are_reported() -> None:
    assert "DEBUG must be a boolean" in _load_settings(DEBUG="maybe").stderr
    assert "EMAIL_URL scheme" in _load_settings(EMAIL_URL="pigeon://coop").stderr


def test_non_postgres_database_is_refused() -> None:
    result = _load_settings(DATABASE_URL="sqlite:///tmp/x.db")
    assert "PostgreSQL with PostGIS" in result.stderr
