"""parameter_study: sizes, budgets, interrupts, slopes and the figure (no timed assertions)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import diffmagic
from diffmagic.errors import DiffMagicError


def elementwise(w):
    return np.sum(np.sin(w) ** 2 + 0.5 * w**2)


def test_the_study_measures_every_size_and_fits_slopes():
    fractions = []
    study = diffmagic.parameter_study(
        elementwise,
        sizes=(1, 10, 100),
        methods=("numerical", "reverse"),
        progress=lambda fraction, label: fractions.append(fraction),
    )
    assert study.sizes == [1, 10, 100]
    assert set(study.seconds) == {"numerical", "reverse"}
    for seconds in study.seconds.values():
        assert len(seconds) == 3 and all(s is not None and s > 0 for s in seconds)
    assert all(f > 0 for f in study.f_seconds)
    assert set(study.slopes) == {"numerical", "reverse"}
    assert all(isinstance(s, float) for s in study.slopes.values())
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    figure = study.figure()
    axes = figure.axes[0]
    assert axes.get_xscale() == "log" and axes.get_yscale() == "log"
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert any("slope" in label for label in legend)
    json.dumps(study.to_dict())
    assert "numerical / f" in str(study)


def test_a_method_past_its_budget_stops_and_says_so():
    study = diffmagic.parameter_study(
        elementwise,
        sizes=(2, 20, 200),
        methods=("numerical", "reverse"),
        time_budget_s={"numerical": 1e-9, "reverse": 60},
        progress=False,
    )
    assert study.seconds["numerical"][0] is not None
    assert study.seconds["numerical"][1:] == [None, None]
    assert "budget" in study.stopped["numerical"]
    assert all(s is not None for s in study.seconds["reverse"])
    assert any("numerical" in note for note in study.notes)


def test_an_interrupt_keeps_what_was_measured():
    def make_at(n):
        if n == 100:
            raise KeyboardInterrupt
        return np.ones(n)

    study = diffmagic.parameter_study(
        elementwise, sizes=(1, 10, 100), make_at=make_at, methods="reverse", progress=False
    )
    assert study.interrupted
    assert study.seconds["reverse"][:2] == [s for s in study.seconds["reverse"][:2] if s]
    assert study.seconds["reverse"][2] is None


@pytest.mark.parametrize("sizes", [(0, 10), (10, -5), (), ("ten",), (1.5,)])
def test_bad_sizes_are_refused_in_one_line(sizes):
    with pytest.raises(DiffMagicError) as caught:
        diffmagic.parameter_study(elementwise, sizes=sizes, progress=False)
    assert "\n" not in str(caught.value)


def test_a_failing_method_stops_with_its_reason():
    def branchy(w):
        return sum(x if x > 0 else -x for x in w)

    study = diffmagic.parameter_study(
        branchy, sizes=(2, 4), methods=("symbolic", "numerical"), progress=False
    )
    assert study.seconds["symbolic"] == [None, None]
    assert "if" in study.stopped["symbolic"]
    assert all(s is not None for s in study.seconds["numerical"])
