"""The judgement cache: SQLite, keyed by (judge fingerprint, video sha256, item key).

The key holds no rank or world size, so a run on 8 processes reuses what a run on 1 cached, and
every process of a data-parallel run writes to the same file (SQLite's WAL mode and a busy timeout
serialise the writers). Each batch is committed as soon as it is judged, so killing a run loses at
most the batch in flight; rerunning the same command judges only what is missing. Judgements from a
crashed judge call are never cached, so they are retried.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from scine_eval.contracts.judge import Judgement

_SCHEMA = """
CREATE TABLE IF NOT EXISTS judgements (
    judge TEXT NOT NULL,
    video TEXT NOT NULL,
    item TEXT NOT NULL,
    score REAL,
    reason TEXT,
    raw TEXT,
    created REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0),
    PRIMARY KEY (judge, video, item)
)
"""


_BUSY_TIMEOUT_S = 60.0


def _initialise(connection: sqlite3.Connection) -> None:
    """Switches the file to WAL mode and creates the table, retrying while another process does the same.

    When several processes open a new cache file at once (the ranks of a data-parallel run), switching it
    to WAL can fail at once with "database is locked": a connection that holds a read lock and needs the
    write lock another one holds gets that error without waiting (SQLite avoids a deadlock rather than call
    the busy handler), so the busy timeout alone does not serialise them.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT_S * 1000)}")
            connection.execute(_SCHEMA)
            connection.commit()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            connection.rollback()
            time.sleep(random.uniform(0.01, 0.05))


class JudgementCache:
    """Stores and finds judgements; ``path=None`` disables caching (nothing is stored)."""

    def __init__(self, path: str | Path | None):
        self.path = Path(path).expanduser() if path is not None else None
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S)
            _initialise(connection)
            self._local.connection = connection
        return connection

    def get_many(self, judge: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Judgement]:
        """Cached judgements for (video sha256, item key) pairs; absent pairs are left out."""
        connection = self._connection()
        if connection is None:
            return {}
        wanted = set(keys)
        videos = sorted({video for video, _ in wanted})
        found: dict[tuple[str, str], Judgement] = {}
        for start in range(0, len(videos), 500):
            chunk = videos[start : start + 500]
            rows = connection.execute(
                f"SELECT video, item, score, reason, raw FROM judgements WHERE judge = ? "
                f"AND video IN ({','.join('?' * len(chunk))})",
                [judge, *chunk],
            )
            for video, item, score, reason, raw in rows:
                if (video, item) in wanted:
                    found[(video, item)] = Judgement(score=score, reason=reason, raw=json.loads(raw))
        return found

    def put_many(self, judge: str, entries: Sequence[tuple[str, str, Judgement]]) -> None:
        """Stores (video sha256, item key, judgement) triples in one transaction."""
        connection = self._connection()
        if connection is None or not entries:
            return
        with connection:
            connection.executemany(
                "INSERT OR REPLACE INTO judgements (judge, video, item, score, reason, raw) VALUES (?, ?, ?, ?, ?, ?)",
                [(judge, video, item, j.score, j.reason, json.dumps(j.raw, default=str)) for video, item, j in entries],
            )

    def count(self, judge: str | None = None) -> int:
        connection = self._connection()
        if connection is None:
            return 0
        if judge is None:
            return connection.execute("SELECT COUNT(*) FROM judgements").fetchone()[0]
        return connection.execute("SELECT COUNT(*) FROM judgements WHERE judge = ?", [judge]).fetchone()[0]

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
