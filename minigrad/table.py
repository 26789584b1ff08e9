"""Text tables whose columns line up in a terminal, CJK names included.

    print(text_table(("name", "shape"), [("W[1]", "(4, 2)"), ("权重", "(1, 4)")]))

Columns are padded by *display* width: a wide (East Asian) character takes
two terminal cells, a combining mark none, so ``len()`` would misalign them.
Numbers read best right-aligned: ``align="<<>"`` puts the third column on the right.
A table is a ``Table``: a ``str`` that IPython and Jupyter show as ``print()`` would,
so that a cell ending in ``mg.summary(J)`` shows the table, not its repr.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Iterable, Sequence

__all__ = ["Table", "display_width", "text_table", "visible"]


class Table(str):
    """A ``str`` (equal to it, with its repr) that IPython and Jupyter display as
    ``print()`` shows it: lines and columns, not one line of ``\\n``."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def visible(text: str) -> str:
    """``text`` with its control, format and unassigned characters (and line and
    paragraph separators, and lone surrogates, which cannot even be encoded) as
    their Python escapes (``\\n``, ``\\t``, ``\\u202e``): a name holding a newline
    or a tab would break a table's line or its columns, and Graphviz rejects some
    such characters and hides others."""
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(c)[0] == "C" or c in "\u2028\u2029" else c
                   for c in text)


def display_width(text: str) -> int:
    """How many terminal cells ``text`` takes: 2 for wide/fullwidth characters
    (汉字, ｗ), 0 for combining marks, 1 for the rest."""
    width = 0
    for c in text:
        if unicodedata.combining(c):
            continue
        width += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return width


def _pad(cell: str, width: int, align: str) -> str:
    space = " " * (width - display_width(cell))
    return space + cell if align == ">" else cell + space


def text_table(header: Sequence[str], rows: Iterable[Sequence[object]],
               align: Sequence[str] = "", rule: bool = True) -> Table:
    """A header, a rule of dashes (unless ``rule=False``), and one line per row;
    cells are ``str()``-ed (a newline or tab in one shown as ``\\n``, ``\\t``: see
    ``visible``), columns separated by two spaces, trailing spaces stripped.
    ``align`` has one ``"<"`` (left) or ``">"`` (right) per column, the
    header's cell included; columns it does not reach are left-aligned."""
    align = list(align)
    if len(align) > len(header) or any(a not in ("<", ">") for a in align):
        raise ValueError(f"text_table: align must hold at most {len(header)} of '<' and "
                         f"'>' (one per column); got {''.join(map(str, align))!r}")
    align += ["<"] * (len(header) - len(align))
    cells = [[visible(str(c)) for c in header]] + [[visible(str(c)) for c in row]
                                                    for row in rows]
    for i, row in enumerate(cells[1:], start=1):
        if len(row) != len(header):
            raise ValueError(f"text_table: row {i} has {len(row)} cells; the header has "
                             f"{len(header)}: {row!r}")
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(header))]
    if rule:
        cells.insert(1, ["-" * w for w in widths])
    return Table("\n".join("  ".join(_pad(c, w, a) for c, w, a in zip(row, widths, align))
                           .rstrip() for row in cells))
