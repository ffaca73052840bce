"""No phone number, email or token in any log line (seed 004 §16), in every process.

Access logs print request lines, and the booking link's query string carries
the invite token (and the live poll a phone); a worker's tracebacks carry the
SQL parameters of a failed statement (emails, phones). A filter on every
handler masks ``token``, ``phone`` and ``code`` values, email addresses and
anything shaped like a number — in the message and in the traceback. The web
app (``web.create_app``) and ``booking worker`` both install it.
"""

from __future__ import annotations

import logging
import re

from processes.delivery import redact

_SECRET_PARAM = re.compile(r"(?i)\b(token|phone|code)=[^&\s\"']*")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_FORMATTER = logging.Formatter()


def scrub(text: str) -> str:
    masked = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}=[hidden]", text)
    return redact(_EMAIL.sub("[email]", masked))


class ScrubSecrets(logging.Filter):
    """Rewrites a record's message (and its traceback) with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters print ``exc_text`` when it is set: set it, masked.
            record.exc_text = scrub(_FORMATTER.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def install_filter(*logger_names: str) -> None:
    """Attach the filter to these loggers and to every root handler."""
    scrubber = ScrubSecrets()
    for name in logger_names:
        logging.getLogger(name).addFilter(scrubber)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ScrubSecrets) for f in handler.filters):
            handler.addFilter(scrubber)
