"""The events catalogue in docs/ is the one the code generates."""

from __future__ import annotations

from pathlib import Path

from booking.catalogue import render

ROOT = Path(__file__).resolve().parents[2]


def test_events_catalogue_is_current() -> None:
    committed = (ROOT / "docs" / "events.md").read_text()
    assert committed == render(), "run `make docs` and commit docs/events.md"


def test_every_event_says_what_happened() -> None:
    rows = [line for line in render().splitlines() if line.startswith("| `")]
    assert len(rows) >= 45
    for row in rows:
        assert row.split("|")[2].strip(), f"no description: {row}"


def _python_blocks(path: Path) -> list[str]:
    text = path.read_text()
    return [block.split("```", 1)[0] for block in text.split("```python\n")[1:]]


def test_the_python_examples_in_the_docs_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = _python_blocks(ROOT / "README.md") + _python_blocks(ROOT / "docs" / "operations.md")
    assert len(blocks) == 3
    for block in blocks:
        exec(compile(block, "docs", "exec"), {})  # noqa: S102
    assert (tmp_path / "var" / "events.sqlite3").exists()
