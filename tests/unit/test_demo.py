"""``booking demo`` tells both of seed 004's stories, in order, in plain words."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path


def test_the_demo_tells_flow_a_and_flow_b(tmp_path: Path) -> None:
    from booking.demo import run_demo

    out = io.StringIO()
    run_demo(out, tmp_path)
    story = out.getvalue()
    expected_in_order = [
        "Flow A — tiered fill",
        "✗ Too early — Tier B opens at Tue 24 Nov 10:00.",
        "Ana is IN.",
        "Booked 8/10",
        "Jon is IN.",
        "✗ Game is full. Join the waitlist as #1 — first to claim gets in.",
        "Kim joined the waitlist as #1.",
        "Pool locked (admin).",
        "Match completed (admin).",
        "Flow B — dropout and waitlist",
        "Dan dropped out — grace until 21:02.",
        "✗ Game is full. Join the waitlist as #5",
        "Grace over: Dan's place is free.",
        "Spot offered to Kim, Lou and Max until 22:02 (batch 1).",
        "Lou claimed the place — IN.",
        "Spot filled — Kim and Max keep their places in the queue.",
        "✗ Spot filled — someone else claimed it first.",
        "Booked 10/10 • Waitlist 3 (Kim, Max, Ned)",
    ]
    position = 0
    for text in expected_in_order:
        found = story.find(text, position)
        assert found >= 0, f"missing or out of order: {text!r}"
        position = found + len(text)
    assert (tmp_path / "events.sqlite3").exists()


def test_the_console_script_runs_the_demo() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "booking.cli", "demo"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "Lou claimed the place — IN." in result.stdout
    assert result.stderr == ""
