"""minigrad.table: columns line up by terminal cells, left- or right-aligned."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minigrad.table import display_width, text_table
from tests.strategies import terminal_cells


def test_text_table_pads_by_terminal_cells():
    assert [display_width(s) for s in ("W[1]", "权重", "ｗ", "e\u0301", "")] == [4, 4, 2, 1, 0]
    table = text_table(("name", "n"), [("权重", 1), ("e\u0301", 22), ("W[1]", 3)])
    assert table.splitlines() == ["name  n", "----  --", "权重  1", "e\u0301     22", "W[1]  3"]


def test_a_right_aligned_column_ends_at_the_same_cell_wide_characters_included():
    table = text_table(("name", "difference", "verdict"),
                       [("权重", "1.0e-09", "ok"), ("b", "nan", "WRONG")], align="<>",
                       rule=False)
    assert table.splitlines() == ["name  difference  verdict",
                                  "权重     1.0e-09  ok",
                                  "b            nan  WRONG"]


def _cut(line: str, start: int, end: int) -> str:
    """The characters of ``line`` between terminal cells ``start`` and ``end``
    (characters of one or two cells, as ``terminal_cells`` draws them)."""
    out, at = [], 0
    for c in line:
        if start <= at < end:
            out.append(c)
        at += display_width(c)
    return "".join(out)


@st.composite
def tables(draw):
    columns = draw(st.integers(1, 4))
    header = draw(st.lists(terminal_cells(), min_size=columns, max_size=columns))
    rows = draw(st.lists(st.lists(terminal_cells(), min_size=columns, max_size=columns),
                         max_size=5))
    align = draw(st.lists(st.sampled_from("<>"), max_size=columns))
    return header, rows, "".join(align), draw(st.booleans())


@given(tables())
def test_every_cell_sits_in_its_column_padded_on_the_side_align_says(table):
    header, rows, align, rule = table
    lines = text_table(header, rows, align=align, rule=rule).split("\n")
    cells = [header] + rows
    assert len(lines) == len(cells) + rule, lines
    if rule:
        del lines[1]
    sides = list(align) + ["<"] * (len(header) - len(align))
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(header))]
    for line, row in zip(lines, cells):
        start = 0
        for cell, width, side in zip(row, widths, sides):
            column = _cut(line, start, start + width)
            padded = column.rstrip(" ") if side == "<" else column.lstrip(" ")
            assert padded == cell, (line, cell, side)
            assert _cut(line, start + width, start + width + 2).strip(" ") == "", line
            start += width + 2
        assert line == line.rstrip(), line


@pytest.mark.parametrize("cell", ["权重\nW[1]", "a\tb", "x\r", "rtl\u202e", "p\u2028q"])
def test_a_cell_with_a_newline_or_tab_stays_on_its_line_and_in_its_column(cell):
    # mg.backward_trace of a tensor named "权重\nW[1]" broke its row over two lines
    # (mg.summary escaped it; the trace and the reports did not)
    lines = text_table(("name", "n"), [(cell, 1), ("b", 22)]).splitlines()
    assert len(lines) == 4, lines
    assert all(c not in "".join(lines) for c in "\n\t\r\u202e\u2028"), lines
    assert display_width(lines[2]) == display_width(lines[3]) - 1, lines


@pytest.mark.parametrize("align", ["<><", "^", "l", [">", 1]])
def test_a_bad_align_names_what_is_allowed(align):
    with pytest.raises(ValueError, match=r"text_table: align must hold at most 2 of '<' and '>'"):
        text_table(("a", "b"), [("1", "2")], align=align)


def test_a_row_of_the_wrong_length_is_refused_with_its_number():
    with pytest.raises(ValueError, match=r"row 2 has 1 cells; the header has 2"):
        text_table(("a", "b"), [("1", "2"), ("3",)])


def test_jupyter_shows_the_graph_tables_as_print_does():
    # A cell that ends in mg.summary(J) showed the str's repr: one line of '\n's
    from IPython.lib.pretty import pretty
    import minigrad as mg
    import nets
    X, Y = nets.data.flower(m=10, seed=1)
    g = nets.TwoLayerNet(n_x=2, n_h=3, seed=2).graph(X, Y)
    for text in (mg.summary(g.loss), g.summary(), mg.backward_trace(g.loss)):
        assert isinstance(text, str) and "\n" in text
        assert pretty(text) == str(text), pretty(text)[:200]
        assert repr(text) == repr(str(text))   # a str still: doctests and == see no change


def test_a_header_cell_with_a_newline_stays_on_its_line():
    lines = text_table(("name\nfirst", "n"), [("a", 1)]).splitlines()
    assert len(lines) == 3 and lines[0].startswith("name\\nfirst"), lines
