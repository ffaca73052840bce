"""Every process's log (the web's and ``booking worker``'s) masks phones, emails and tokens,
in messages and in the tracebacks of failed statements."""

from __future__ import annotations

import io
import logging

from booking.logs import ScrubSecrets, install_filter, scrub


def _logged(logger: logging.Logger, emit: object) -> str:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(ScrubSecrets())
    logger.addHandler(handler)
    try:
        emit()  # type: ignore[operator]
    finally:
        logger.removeHandler(handler)
    return out.getvalue()


def test_a_failed_statements_traceback_is_masked() -> None:
    logger = logging.getLogger("booking.test.scrub")

    def fail() -> None:
        try:
            raise ValueError(
                "[SQL: INSERT INTO booking_outbox VALUES (%s, %s)]"
                " [parameters: ('pat.o-brien+club@example.test', '+447700900123')]"
            )
        except ValueError:
            logger.exception("delivery failed for %s", "kim@example.test")

    text = _logged(logger, fail)
    assert "Traceback" in text and "ValueError" in text
    for secret in ("pat.o-brien+club@example.test", "kim@example.test", "7700900123"):
        assert secret not in text
    assert "[email]" in text and "[phone]" in text


def test_the_worker_installs_the_filter_on_its_root_handlers() -> None:
    root = logging.getLogger()
    handler = logging.StreamHandler(io.StringIO())
    root.addHandler(handler)
    try:
        install_filter()
        install_filter()  # twice (web and worker in one process): one filter
        assert sum(isinstance(f, ScrubSecrets) for f in handler.filters) == 1
    finally:
        root.removeHandler(handler)


def test_dates_and_positions_stay_readable() -> None:
    assert scrub("court day 2026-11-25, position 1234") == "court day 2026-11-25, position 1234"
