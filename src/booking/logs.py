"""No phone number or token in any log line (seed 004 §16).

Access logs print request lines, and the booking link's query string carries
the invite token (and the live poll a phone): a filter on every handler masks
``token``, ``phone`` and ``code`` values and anything shaped like a number.
"""

from __future__ import annotations

import logging
import re

from processes.delivery import redact

_SECRET_PARAM = re.compile(r"(?i)\b(token|phone|code)=[^&\s\"']*")


def scrub(text: str) -> str:
    return redact(_SECRET_PARAM.sub(lambda m: f"{m.group(1)}=[hidden]", text))


class ScrubSecrets(logging.Filter):
    """Rewrites a record's message with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_filter(*logger_names: str) -> None:
    """Attach the filter to these loggers and to every root handler."""
    scrubber = ScrubSecrets()
    for name in logger_names:
        logging.getLogger(name).addFilter(scrubber)
    for handler in logging.getLogger().handlers:
        handler.addFilter(scrubber)
