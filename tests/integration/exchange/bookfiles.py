"""Helpers for tests: copy the hand-written fixture book and change single cells by line."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def book_copy(tmp_path: Path, name: str = "small") -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def rows_read(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def rows_write(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def cell_set(book: Path, file: str, line: int, column: str, value: str) -> None:
    """Set one cell; `line` is the physical line (header = 1) in a file without quoted newlines."""
    rows = rows_read(book / file)
    rows[line - 1][rows[0].index(column)] = value
    rows_write(book / file, rows)


def row_append(book: Path, file: str, values: dict[str, str]) -> int:
    """Append a row (missing columns empty); returns its line number."""
    rows = rows_read(book / file)
    header = rows[0]
    for column in values:
        if column not in header:
            header.append(column)
            for row in rows[1:]:
                row.append("")
    rows.append([values.get(c, "") for c in header])
    rows_write(book / file, rows)
    return len(rows)


def column_drop(book: Path, file: str, column: str) -> None:
    rows = rows_read(book / file)
    i = rows[0].index(column)
    rows_write(book / file, [r[:i] + r[i + 1:] for r in rows])
