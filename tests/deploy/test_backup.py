"""Backups as deploy/README.md describes them: a base backup (``pg_basebackup -Ft -z``) plus the
primary's WAL archive restore the database to its latest archived state, including what was
written after the base backup (point-in-time recovery), into a fresh cluster that serves PostGIS."""
from __future__ import annotations

import subprocess
import tarfile

import pytest

from .cluster import PgCluster, _as_service_user, _chown_for_service, free_port, pg_bindir, run, wait_for
from .conftest import Stack

pytestmark = pytest.mark.deploy


def test_base_backup_and_wal_archive_restore_writes_made_after_the_backup(stack: Stack) -> None:
    primary = stack.db.primary
    backup = stack.base / "backup"
    run([*_as_service_user(), str(pg_bindir() / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
         "-U", "postgres", "-D", str(backup), "-Ft", "-z", "-X", "fetch", "-c", "fast", "--no-sync"])
    # Written after the base backup: only the WAL archive has it.
    primary.psql("CREATE TABLE IF NOT EXISTS restore_check (note text)")
    primary.psql("INSERT INTO restore_check VALUES ('after the base backup')")
    appeals = primary.psql("SELECT count(*) FROM issues_appeal")
    segment = primary.psql("SELECT pg_walfile_name(pg_current_wal_lsn())")
    primary.psql("SELECT pg_switch_wal()")
    wait_for("the segment archived", lambda: (stack.db.archive / segment).exists(), timeout=60, log=primary.log)

    restored = PgCluster("restored", stack.base / "restored", free_port(), stack.base / "restored.log")
    restored.datadir.mkdir(mode=0o700)
    with tarfile.open(backup / "base.tar.gz") as archive:
        archive.extractall(restored.datadir, filter="fully_trusted")
    with open(restored.datadir / "postgresql.auto.conf", "a") as conf:
        conf.write(f"restore_command = 'cp {stack.db.archive}/%f %p'\nrecovery_target_action = 'promote'\n"
                   "archive_mode = off\n")
    (restored.datadir / "recovery.signal").touch()
    (restored.datadir / "standby.signal").unlink(missing_ok=True)
    _chown_for_service(restored.datadir)
    restored.datadir.chmod(0o700)
    try:
        restored.start()
        wait_for("recovery finished", lambda: restored.psql("SELECT pg_is_in_recovery()") == "f", timeout=120,
                 log=restored.log)
        assert restored.psql("SELECT note FROM restore_check") == "after the base backup"
        assert restored.psql("SELECT count(*) FROM issues_appeal") == appeals
        assert restored.psql("SELECT PostGIS_Version()").startswith("3.")
    finally:
        subprocess.run([*_as_service_user(), str(pg_bindir() / "pg_ctl"), "-D", str(restored.datadir), "-m",
                        "immediate", "stop"], capture_output=True)
