"""A store made before notices had due times, digests and leases gains those columns
when the application starts again, keeping its rows (on every store)."""

from __future__ import annotations

from booking_domain.application import BookingApp
from processes.sidestore import ADDED_COLUMNS


def test_older_outbox_tables_gain_the_new_columns_and_keep_their_rows(app: BookingApp) -> None:
    side = app.recorder.side  # type: ignore[attr-defined]
    table = side.t["booking_outbox"]
    with side.transaction() as tx:
        tx.execute(
            f"INSERT INTO {table} (id, position, match_id, player_id, kind, batch_key, text,"  # noqa: S608
            " created_us) VALUES ('old', 1, NULL, 'p', 'tier_open', 'k', 'Booking open', 5)"
        )
        for _, column, _ in ADDED_COLUMNS:
            tx.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    with side.transaction() as tx:
        assert not {c for _, c, _ in ADDED_COLUMNS} & side._columns(tx, "booking_outbox")
        side.create_tables(tx)
        side.create_tables(tx)  # and again: nothing to do
        assert {c for _, c, _ in ADDED_COLUMNS} <= side._columns(tx, "booking_outbox")
        row = tx.execute(f"SELECT * FROM {table} WHERE id = 'old'").one()  # noqa: S608
    assert row is not None and row["due_us"] == 0 and row["text"] == "Booking open"
