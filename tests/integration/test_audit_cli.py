"""The auditor's commands on a real store: SQLite files, and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from booking.bootstrap import Settings, build_system
from booking.cli import main
from processes.clock import ManualClock
from projections.tables import roster
from tests.support import START, Club, pg_schema, pg_url

M = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.pg)])
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    monkeypatch.setenv("BOOKING_DATA_DIR", str(tmp_path))
    if request.param == "sqlite":
        monkeypatch.delenv("DATABASE_URL", raising=False)
        yield Settings.from_env()
        return
    with pg_schema() as schema:
        monkeypatch.setenv("DATABASE_URL", pg_url(schema))
        yield Settings.from_env()


class FlowB:
    """Seed 004's flow B, played on the store the settings choose (test clock)."""

    def __init__(self, settings: Settings) -> None:
        clock = ManualClock(START)
        system = build_system(Settings(**{**vars(settings), "test_clock": True}), clock)
        try:
            club = Club(system.app, clock)
            ins = club.players(*[f"In{i}" for i in range(9)])
            self.dan, kim, self.lou, max_ = club.players("Dan", "Kim", "Lou", "Max")
            match = club.match(capacity=10, kickoff_in=22 * H)
            self.match_id = match.match_id
            for p in (*ins, self.dan):
                match.say(p, "IN")
            for p in (kim, self.lou, max_):
                match.say(p, "WAITLIST")
            match.say(self.dan, "OUT")
            self.in_grace = clock.now() + M
            system.engine.advance(by=2 * M)
            system.engine.advance(by=7 * M)
            match.claim(self.lou)
            self.events = system.app.recorder.max_notification_id()
            self.views = system.engine.views
        finally:
            system.close()


def test_events_of_a_match_in_order(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    flow = FlowB(settings)
    assert main(["events", str(flow.match_id), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    positions = [r["position"] for r in rows]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert {r["stream"] for r in rows} == {"Match", "Waitlist"}
    assert rows[0]["type"] == "MatchScheduled" and rows[-1]["type"] == "OfferSuperseded"
    assert [r["type"] for r in rows].count("OfferIssued") == 3
    assert all("token_digest" not in r["data"] for r in rows)

    assert main(["events", str(flow.match_id)]) == 0
    text = capsys.readouterr().out
    assert "DroppedOut" in text and "player_id=Dan" in text and "player_id=Lou" in text


def test_export_writes_every_event(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = FlowB(settings)
    target = tmp_path / "events.jsonl"
    assert main(["export", "--output", str(target)]) == 0
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["position"] for line in lines] == list(range(1, flow.events + 1))
    assert {"PlayerRegistered", "MatchScheduled", "OfferClaimed"} <= {x["type"] for x in lines}
    assert f"{flow.events} events exported" in capsys.readouterr().err


def test_audit_is_clean_then_finds_a_tampered_row_and_rebuild_repairs_it(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = FlowB(settings)
    assert main(["audit"]) == 0
    assert "Audit clean" in capsys.readouterr().out

    system = build_system(settings)
    try:
        views = system.engine.views
        with views.engine.begin() as conn:  # type: ignore[union-attr]
            conn.execute(
                update(roster)
                .where(
                    (roster.c.match_id == flow.match_id)
                    & (roster.c.player_id == flow.lou.player_id)
                )
                .values(status="OUT")
            )
    finally:
        system.close()
    assert main(["audit"]) == 1
    report = capsys.readouterr().out
    assert "1 differences" in report
    assert "view_roster" in report and "status: live 'OUT', rebuilt 'IN'" in report

    assert main(["projections", "rebuild"]) == 0
    assert "rebuilt to position" in capsys.readouterr().err
    assert main(["audit"]) == 0


def test_as_of_replays_to_the_moment(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = FlowB(settings)
    assert main(["as-of", str(flow.match_id), flow.in_grace.isoformat()]) == 0
    during_grace = capsys.readouterr().out
    assert "Booked 9/10" in during_grace and "Spots left 0" in during_grace
    assert "OUT       Dan" in during_grace and "grace until" in during_grace
    assert main(["as-of", str(flow.match_id), (START + 2 * H).isoformat()]) == 0
    after = capsys.readouterr().out
    assert "Booked 10/10" in after and "IN        Lou" in after
    before = (START - H).isoformat()
    assert main(["as-of", str(flow.match_id), before]) == 1
    assert "did not exist" in capsys.readouterr().out


def test_as_of_wants_a_time_with_its_offset(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["as-of", "00000000-0000-0000-0000-000000000000", datetime(2026, 1, 1).isoformat()])
    assert "offset" in capsys.readouterr().err
