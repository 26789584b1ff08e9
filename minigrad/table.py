"""Text tables whose columns line up in a terminal, CJK names included.

    print(text_table(("name", "shape"), [("W[1]", "(4, 2)"), ("权重", "(1, 4)")]))

Columns are padded by *display* width: a wide (East Asian) character takes
two terminal cells, a combining mark none, so ``len()`` would misalign them.
"""
from __future__ import annotations

import unicodedata
from typing import Iterable, Sequence

__all__ = ["display_width", "text_table"]


def display_width(text: str) -> int:
    """How many terminal cells ``text`` takes: 2 for wide/fullwidth characters
    (汉字, ｗ), 0 for combining marks, 1 for the rest."""
    width = 0
    for c in text:
        if unicodedata.combining(c):
            continue
        width += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return width


def text_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A header, a rule of dashes, and one line per row; cells are ``str()``-ed,
    columns separated by two spaces, trailing spaces stripped."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(header))]
    cells.insert(1, ["-" * w for w in widths])
    return "\n".join("  ".join(c + " " * (w - display_width(c)) for c, w in zip(row, widths))
                     .rstrip() for row in cells)
