"""Versioned schema migrations: apply apps/videoforge/migrations/NNNN_*.sql in order, once each.

    python -m videoforge.migrate [--check] [--create-database]   (settings from the environment)

Each file runs in its own transaction with its version row; a transaction-level advisory
lock keeps two deployers from migrating at once. Prints one JSON line, {"changed", "applied"}
(or, with --check, what would be applied), which the playbook reads to report `changed`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import psycopg
from psycopg import sql

MIGRATIONS = Path(__file__).parent / "migrations"
LOCK_ID = 0x5646_4D49  # "VFMI"


def applied_versions(conn: psycopg.Connection) -> set[str]:
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()[0]
    if not exists:
        return set()
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def pending(conn: psycopg.Connection) -> list[Path]:
    applied = applied_versions(conn)
    return [p for p in sorted(MIGRATIONS.glob("*.sql")) if p.stem not in applied]


def database_exists(conninfo: str, name: str) -> bool:
    with psycopg.connect(conninfo, dbname="postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def create_database(conninfo: str, name: str) -> None:
    with psycopg.connect(conninfo, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def migrate(conninfo: str) -> list[str]:
    """Apply what is pending; return the versions applied."""
    done: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for path in pending(conn):
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_ID,))
                exists = conn.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (path.stem,))
                if exists.fetchone():
                    continue  # another deployer applied it while we waited for the lock
                conn.execute(path.read_text())
                conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (path.stem,))
            done.append(path.stem)
    return done


def plan(conninfo: str, dbname: str) -> dict:
    """What a run would do, without doing it."""
    if not database_exists(conninfo, dbname):
        return {"create_database": True, "applied": [p.stem for p in sorted(MIGRATIONS.glob("*.sql"))]}
    with psycopg.connect(conninfo) as conn:
        return {"create_database": False, "applied": [p.stem for p in pending(conn)]}


def converge(conninfo: str, dbname: str, check: bool = False, create: bool = False) -> dict:
    """One run: {"changed", "create_database", "applied"}. With ``check``, what a run would do
    (nothing is written); else the database is created first when ``create`` and it is missing,
    and what is pending is applied."""
    if check:
        result = plan(conninfo, dbname)
    else:
        created = create and not database_exists(conninfo, dbname)
        if created:
            create_database(conninfo, dbname)
        result = {"create_database": created, "applied": migrate(conninfo)}
    return {"changed": result["create_database"] or bool(result["applied"]), **result}


def main(argv: list[str] | None = None) -> int:
    from videoforge.settings import Settings

    parser = argparse.ArgumentParser(description="Apply VideoForge's schema migrations")
    parser.add_argument("--check", action="store_true", help="report what would change, change nothing")
    parser.add_argument("--create-database", action="store_true", help="create DB_NAME when missing")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    print(json.dumps(converge(settings.db_conninfo, settings.db_name, args.check, args.create_database)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
