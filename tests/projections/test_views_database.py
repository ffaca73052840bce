"""The in-memory read-model database is shared by threads without mixing their work."""

from __future__ import annotations

import threading

from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select

from projections.database import views_engine


def test_threads_writing_the_in_memory_views_never_interleave_transactions() -> None:
    """A projection worker and a page reading the views at the same moment: each
    transaction is whole, none fails with 'a transaction within a transaction'."""
    engine = views_engine("memory", None)
    rows = Table("rows", MetaData(), Column("n", Integer))
    rows.metadata.create_all(engine)
    failures: list[BaseException] = []

    def write(start: int) -> None:
        try:
            for n in range(start, start + 150):
                with engine.begin() as conn:
                    conn.execute(insert(rows).values(n=n))
                    conn.execute(select(func.count()).select_from(rows)).scalar()
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(k * 1000,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(rows)).scalar() == 600
