"""`make demo` prints every demo login with the shared password (scripts/serve.sh calls
`manage.py demo_logins`; the password line used to be a bare `python -c` that crashed before
Django was set up and printed an empty password)."""
from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from fixtures.demo_region import DEMO_PASSWORD, DEMO_USERS

ROOT = Path(__file__).resolve().parents[2]


def test_demo_logins_lists_every_user_and_the_password():
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert f"password for all: {DEMO_PASSWORD})" in text
    for username, role, _memberships, _name in DEMO_USERS:
        assert any(line.split()[:2] == [username, role] for line in text.splitlines()), username


def test_serve_script_takes_the_logins_from_the_command():
    script = (ROOT / "scripts" / "serve.sh").read_text()
    assert "manage.py demo_logins" in script and "python -c" not in script
    # the command works in a fresh process, as the script runs it
    done = subprocess.run([sys.executable, "manage.py", "demo_logins"], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    assert DEMO_PASSWORD in done.stdout
