"""vf_schema_migrations against a real PostgreSQL: check mode on an empty database lists every
migration and creates nothing; a run creates the database and applies them all once; a re-run
changes nothing; a migration added later is the only one applied; a database that cannot be
reached fails with its reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg

from tests.support.ansible_runner import run_playbook

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = sorted(p.stem for p in (ROOT / "apps/videoforge/migrations").glob("*.sql"))


def play(apps: Path, pg, dbname: str, port: int | None = None) -> list[dict]:
    task = {
        "name": "Migrate",
        "vf_schema_migrations": {"apps_dir": str(apps), "create_database": True},
        "environment": {
            "DB_HOST": pg.host,
            "DB_PORT": str(port or pg.port),
            "DB_NAME": dbname,
            "DB_USER": pg.user,
        },
    }
    return [{"hosts": "localhost", "gather_facts": False, "tasks": [task]}]


def applied(pg, dbname: str) -> list[str]:
    with psycopg.connect(pg.dsn(dbname)) as conn:
        return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


def databases(pg) -> set[str]:
    with psycopg.connect(pg.dsn()) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


def test_check_then_apply_then_nothing_then_only_the_new_one(pg, tmp_path):
    apps = tmp_path / "apps"
    shutil.copytree(
        ROOT / "apps/videoforge", apps / "videoforge", ignore=shutil.ignore_patterns("__pycache__")
    )
    dbname = "vf_migrations_test"

    check = run_playbook(tmp_path / "check", play(apps, pg, dbname), check=True, diff=True)
    assert check.ok, check.output
    result = check.task("Migrate").result
    assert check.changed_tasks() == ["Migrate"]
    assert result["create_database"] and result["applied"] == VERSIONS
    assert dbname not in databases(pg)  # check mode wrote nothing

    first = run_playbook(tmp_path / "first", play(apps, pg, dbname))
    assert first.ok, first.output
    assert first.task("Migrate").result["applied"] == VERSIONS
    assert applied(pg, dbname) == VERSIONS

    again = run_playbook(tmp_path / "again", play(apps, pg, dbname), diff=True)
    assert again.ok and again.changed_tasks() == [], again.output
    assert again.task("Migrate").result["applied"] == []

    new = apps / "videoforge/migrations/9999_test_column.sql"
    new.write_text("CREATE TABLE vf_migration_probe (id int);\n")
    later = run_playbook(tmp_path / "later", play(apps, pg, dbname))
    assert later.ok and later.task("Migrate").result["applied"] == ["9999_test_column"], later.output
    assert applied(pg, dbname) == [*VERSIONS, "9999_test_column"]


def test_a_database_that_does_not_answer_fails_with_the_reason(pg, tmp_path):
    closed = run_playbook(tmp_path, play(ROOT / "apps", pg, "vf_nowhere", port=9))
    task = closed.task("Migrate")
    assert not closed.ok and task.status == "failed"
    assert task.result["msg"].startswith("schema migrations: OperationalError")
