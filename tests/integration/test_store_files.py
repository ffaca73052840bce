"""The embedded store's files are its owner's alone (no other user on the machine reads
the events, the read models or the sessions)."""

from __future__ import annotations

import stat
from pathlib import Path

from booking.bootstrap import Settings, build_system
from processes.clock import ManualClock
from tests.support import START


def test_the_data_folder_is_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "club"
    folder.mkdir(mode=0o755)
    system = build_system(Settings(data_dir=folder, test_clock=True), ManualClock(START))
    try:
        system.app.register_player(name="Ana", phone="+442079460001")
    finally:
        system.close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert any(folder.glob("*.sqlite3"))
