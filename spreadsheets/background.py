"""Reading a large .xlsx or .ods sheet in a second process, so that one core parses the XML
while the other validates the rows already read.

    for number, cells in rows_in_background(path, "Blad1", "xlsx"):
        ...

The rows are the reader's, trimmed and without the empty ones (`cells.clean_rows`); they come
through a pipe in pickled batches of at most 2,000 rows and 100,000 cells. When the
consumer falls behind, the pipe fills and the reader waits, so memory stays bounded. The second process runs isolated (`python -I`) and
imports only the readers, not Django. A formula cell without its value (`cells.UNCOMPUTED`)
pickles as that same object.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from spreadsheets.cells import MAX_CELL_LENGTH, CellTooLong, TooManyCells

BATCH = 2000  # rows per message at most
BATCH_CELLS = 100_000  # cells per message at most: a row may be 16,384 cells wide
PROJECT_ROOT = str(Path(__file__).resolve().parents[1])
CHILD = "import sys; sys.path.insert(0, sys.argv[1]); from spreadsheets.background import main; main(sys.argv[2:])"


class BackgroundReadError(Exception):
    pass


def rows_in_background(
    path, sheet: str, kind: str, cell_limit: int = MAX_CELL_LENGTH, max_cells: int | None = None
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The same rows as `clean_rows(open_book(path, cell_limit, max_cells).rows(sheet))` of the
    .xlsx or .ods reader (`kind`), read by a second process; a cell too long is CellTooLong
    here too, and a sheet with too many cells TooManyCells."""
    limit = "" if max_cells is None else str(max_cells)
    command = [sys.executable, "-I", "-c", CHILD, PROJECT_ROOT, kind, str(path), sheet, str(cell_limit), limit]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)  # noqa: S603 (its errors go to our stderr)
    try:
        while True:
            try:
                message = pickle.load(process.stdout)  # noqa: S301 (from our own child process)
            except EOFError:
                raise BackgroundReadError("the reading process ended early") from None
            if message is None:
                return
            if isinstance(message, str):
                raise BackgroundReadError(message)
            if isinstance(message, (CellTooLong, TooManyCells)):
                raise message
            yield from message
    finally:
        process.stdout.close()
        if process.poll() is None:
            process.kill()
        process.wait()


def main(arguments: list[str]) -> None:
    kind, path, sheet, cell_limit, max_cells = arguments
    _produce(kind, path, sheet, sys.stdout.buffer, int(cell_limit), int(max_cells) if max_cells else None)


def _produce(
    kind: str, path: str, sheet: str, out: IO[bytes], cell_limit: int = MAX_CELL_LENGTH, max_cells: int | None = None
) -> None:
    from spreadsheets.cells import clean_rows

    def send(message) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)

    try:
        if kind == "ods":
            from spreadsheets.ods import open_book
        else:
            from spreadsheets.xlsx import open_book
        book = open_book(path, cell_limit, max_cells)
        try:
            batch, cells = [], 0
            for row in clean_rows(book.rows(sheet)):
                batch.append(row)
                cells += len(row[1])
                if len(batch) >= BATCH or cells >= BATCH_CELLS:
                    send(batch)
                    batch, cells = [], 0
            send(batch)
        finally:
            book.close()
        send(None)
    except BrokenPipeError:
        pass  # the consumer stopped reading
    except (CellTooLong, TooManyCells) as error:
        send(error)
    except Exception as error:
        send(f"{type(error).__name__}: {error}")
    out.flush()
