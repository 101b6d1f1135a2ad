"""Your own derivative, checked: the lab's hand-written dfdx as a row, right or wrong in words.

The true derivatives come from the corpus (written by hand, checked against mpmath at 40
digits by test_corpus_is_sound.py); the planted bugs are the ones learners make.
"""

from __future__ import annotations

import numpy as np
import pytest
from corpus import CORPUS, Case, sweep

import diffmagic
from diffmagic import DiffMagicError, compare


@pytest.mark.parametrize("case", sweep(CORPUS))
def test_a_right_hand_written_derivative_is_ok_at_every_point(case: Case) -> None:
    def yours(t):  # the hand-written derivative, a function of the variable alone
        return case.derivative(t)

    cmp = compare(
        case.source,
        func=case.func,
        domain=case.domain,
        wrt=case.wrt,
        params=case.params,
        order=case.order,
        methods=("symbolic", "automatic"),
        yours=yours,
    )
    row = cmp["yours"]
    if cmp.reference is None:
        assert not row.ok and row.error
        return
    assert row.ok, row.error
    assert row.status == "ok" and row.wrong_at.size == 0


def _lab(x):
    return np.exp(-2 * x) + 3 * np.sin(3 * x)


def _lab_derivative(x):
    return -2 * np.exp(-2 * x) + 9 * np.cos(3 * x)


@pytest.mark.parametrize(
    ("yours", "words"),
    [
        (lambda x: -_lab_derivative(x), "wrong sign everywhere"),
        (lambda x: 1.5 * _lab_derivative(x), "1.5 times the true derivative everywhere"),
        (lambda x: -2 * np.exp(-2 * x) + 3 * np.cos(3 * x), None),  # a factor 3 left out
        (lambda x: np.where(x < 0, 0.0, _lab_derivative(x)), "x < 0"),
    ],
    ids=["wrong sign", "constant factor", "one chain-rule factor missing", "wrong for x < 0"],
)
def test_a_planted_bug_is_caught_located_and_said(yours, words: str | None) -> None:
    cmp = compare(_lab, domain=(-1, 3), methods=("symbolic",), yours=yours)
    row = cmp["yours"]
    assert not row.ok and row.status == "wrong"
    assert row.error and "\n" not in row.error
    if words is not None:
        assert words in row.error, row.error
    truth = _lab_derivative(cmp.x)
    wrong = np.abs(yours(cmp.x) - truth) > 1e-6 * (1 + np.abs(truth))
    assert set(np.round(row.wrong_at, 12)) == set(np.round(cmp.x[wrong], 12))


def test_a_missing_inner_factor_of_the_chain_rule_is_named() -> None:
    cmp = compare("sin(3*x)", methods="symbolic", yours=lambda x: np.cos(3 * x))
    assert "1/3 everywhere: a chain-rule factor 3 missing?" in cmp["yours"].error


def test_a_hand_written_second_derivative_is_checked_with_order_2() -> None:
    right = compare("x**3", order=2, methods="symbolic", yours=lambda x: 6 * x)
    assert right["yours"].ok
    wrong = compare("x**3", order=2, methods="symbolic", yours=lambda x: 3 * x)
    assert not wrong["yours"].ok and "1/2 everywhere" in wrong["yours"].error
    offset = compare("x**3", order=2, methods="symbolic", yours=lambda x: 6 * x + 1)
    assert "true second derivative + 1" in offset["yours"].error


def test_several_candidates_get_a_row_each() -> None:
    cmp = compare(
        "x**2",
        methods="symbolic",
        yours={"dfdx": lambda x: 2 * x, "guess": lambda x: x},
    )
    assert cmp["yours:dfdx"].ok and not cmp["yours:guess"].ok
    assert cmp["yours:guess"].label == "yours (guess)"


def test_a_kink_is_not_held_against_yours() -> None:
    cmp = compare("abs(x)", methods="symbolic", yours=np.sign)
    assert cmp["yours"].ok, cmp["yours"].error
    assert cmp.nondifferentiable == [0.0]


def test_yours_that_raises_or_is_no_function_is_said_in_one_line() -> None:
    def broken(x):
        return 1 / 0

    cmp = compare("x**2", methods="symbolic", yours=broken)
    assert not cmp["yours"].ok and "ZeroDivisionError" in cmp["yours"].error
    with pytest.raises(DiffMagicError, match="yours must be your derivative"):
        compare("x**2", yours=3)
    assert isinstance(diffmagic.compare("x**2", yours=lambda x: 2 * x), diffmagic.Comparison)


def test_the_figure_draws_yours_and_marks_where_it_is_wrong() -> None:
    cmp = compare("x**2", methods="symbolic", yours=lambda x: np.where(x < 0, 0.0, 2 * x))
    figure = cmp.figure()
    top = figure.axes[0]
    labels = [line.get_label() for line in top.get_lines()]
    assert "f' yours (wrong)" in labels
    marks = next(line for line in top.get_lines() if line.get_label() == "where yours is wrong")
    assert np.all(np.asarray(marks.get_xdata()) < 0)
    assert len(marks.get_xdata()) == np.count_nonzero(cmp.x < 0)
    legend = [text.get_text() for text in top.get_legend().get_texts()]
    assert "where yours is wrong" in legend
