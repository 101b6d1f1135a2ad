"""Every text table lines up the same way, and every HTML row escapes what it shows.

The comparison, the gradient check, the partial derivatives, the gradient and Jacobian tables and
the sweeps all lay out through `diffmagic.views.tables`: these tests pin that one layout.
"""

from __future__ import annotations

from diffmagic.views.tables import GREEN, RED, aligned_table, html_row


def test_columns_are_padded_to_their_widest_cell_and_lines_carry_no_trailing_spaces() -> None:
    table = aligned_table(["method", "error"], [["symbolic", "1e-16"], ["jax", ""]])
    assert table.splitlines() == [
        "method    error",
        "--------  -----",
        "symbolic  1e-16",
        "jax",
    ]


def test_notes_under_a_row_do_not_widen_the_table_and_the_rule_can_be_left_out() -> None:
    table = aligned_table(
        ["n", "time"],
        [["10", "1 ms"], ["100", "9 ms"]],
        rule=False,
        under=[["    a note far wider than any column"], []],
    )
    assert table.splitlines() == [
        "n    time",
        "10   1 ms",
        "    a note far wider than any column",
        "100  9 ms",
    ]


def test_a_coloured_row_is_wrapped_in_its_ansi_code_and_its_notes_are_not() -> None:
    table = aligned_table(
        ["status"], [["ok"], ["failed"]], under=[[], ["  why"]], colours=[GREEN, RED]
    )
    assert table.splitlines()[2:] == ["\033[32mok\033[0m", "\033[31mfailed\033[0m", "  why"]


def test_an_html_row_escapes_its_cells_and_styles_each_one() -> None:
    row = html_row(["x < 1", "a & b"], style=["text-align:left", "color:red"], classes=["ok", None])
    assert row == (
        "<tr><td class=\"ok\" style='text-align:left'>x &lt; 1</td>"
        "<td style='color:red'>a &amp; b</td></tr>"
    )
    assert html_row(["method"], "th") == "<tr><th>method</th></tr>"
