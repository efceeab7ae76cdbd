"""Log records on a terminal in one line each; tracebacks only in the log file.

Whoever reads standard error (a user of `manage.py import_items`, the terminal of `make run`)
gets the first line of each record and, when there is more, where to find it; the
administrator's log file (LOG_FILE) keeps the whole record with its traceback."""

from __future__ import annotations

import logging


class OneLineFormatter(logging.Formatter):
    def __init__(self, *args, details: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.details = details

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        first_line = message.split("\n", 1)[0]
        if (record.exc_info or first_line != message) and self.details:
            return f"{first_line} (details in {self.details})"
        return first_line
