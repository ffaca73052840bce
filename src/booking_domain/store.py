"""Where events live, chosen by settings (architecture.md, "Two ways to run").

``DATABASE_URL=postgresql://…`` selects PostgreSQL through psycopg; otherwise the
embedded default keeps a SQLite file under ``BOOKING_DATA_DIR``. ``memory`` keeps
events in process (fast unit tests).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

EVENTS_FILE = "events.sqlite3"


def store_env(database_url: str | None, data_dir: str | Path | None) -> dict[str, str]:
    """The eventsourcing library's environment for the chosen store."""
    if database_url == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if database_url:
        return _postgres_env(database_url)
    folder = Path(data_dir or "var")
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(folder / EVENTS_FILE),
        "SQLITE_LOCK_TIMEOUT": "30",
    }


def _postgres_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise ValueError("DATABASE_URL must start with postgresql://")
    query = parse_qs(parts.query)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": _first(query, "pool_size", "5"),
        "POSTGRES_MAX_OVERFLOW": _first(query, "max_overflow", "15"),
        "POSTGRES_CONNECT_TIMEOUT": _first(query, "connect_timeout", "30"),
        "POSTGRES_LOCK_TIMEOUT": _first(query, "lock_timeout", "30"),
    }
    schema = _first(query, "schema", "")
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env


def _first(query: dict[str, list[str]], key: str, default: str) -> str:
    return query.get(key, [default])[0]
