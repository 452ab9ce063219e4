"""The PostgreSQL pool: psycopg 3, opened in before_serving, closed in after_serving, on the app."""

from __future__ import annotations

import logging

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from quart import Quart, current_app

log = logging.getLogger("videoforge.db")


def session_options(statement_timeout_ms: int, idle_in_transaction_timeout_ms: int) -> str:
    """libpq ``options`` that bound every session of the pool: a runaway query is cancelled, a
    transaction left open and idle is ended (and its connection closed)."""
    return (
        f"-c statement_timeout={int(statement_timeout_ms)} "
        f"-c idle_in_transaction_session_timeout={int(idle_in_transaction_timeout_ms)}"
    )


def init_pool(app: Quart, conninfo: str, min_size: int, max_size: int, options: str = "") -> None:
    @app.before_serving
    async def open_pool() -> None:
        pool = AsyncConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            open=False,
            timeout=5,  # waiting for a connection longer than this: answer 503
            kwargs={"row_factory": dict_row, "connect_timeout": 5, "autocommit": True, "options": options},
        )
        # wait=False: the service starts (and /health answers 503) while the database is down.
        await pool.open(wait=False)
        app.extensions["db_pool"] = pool

    @app.after_serving
    async def close_pool() -> None:
        pool = app.extensions.pop("db_pool", None)
        if pool is not None:
            await pool.close(timeout=2)


def pool() -> AsyncConnectionPool:
    return current_app.extensions["db_pool"]


async def ping(timeout: float = 3.0) -> bool:
    try:
        async with pool().connection(timeout=timeout) as conn:
            await conn.execute("SELECT 1")
        return True
    except Exception as exc:  # any failure means "not reachable" for the health check
        log.warning("database unreachable: %s", exc)
        return False
