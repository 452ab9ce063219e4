"""Versioned schema migrations: apply apps/videoforge/migrations/NNNN_*.sql in order, once each.

    python -m videoforge.migrate      (database settings from the environment)

Each file runs in its own transaction with its version row; a transaction-level advisory
lock keeps two deployers from migrating at once. Prints what it applied, and exits 0
having changed nothing when the schema is current (the playbook reads that).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psycopg

MIGRATIONS = Path(__file__).parent / "migrations"
LOCK_ID = 0x5646_4D49  # "VFMI"


def pending(conn: psycopg.Connection) -> list[Path]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    return [p for p in sorted(MIGRATIONS.glob("*.sql")) if p.stem not in applied]


def migrate(conninfo: str) -> list[str]:
    """Apply what is pending; return the versions applied."""
    done: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
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


def main() -> int:
    from videoforge.settings import Settings

    applied = migrate(Settings.from_env().db_conninfo)
    print(json.dumps({"changed": bool(applied), "applied": applied}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
