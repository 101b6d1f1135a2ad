"""The step study as a result that shows itself: numbers from `analysis.steps`, its figure
from `views.step_figure`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from diffmagic.analysis.steps import StepStudy


@dataclass
class StepStudyResult(StepStudy):
    """The errors of difference quotients at x0 against the step h, with `figure()`."""

    @classmethod
    def of(cls, study: StepStudy) -> StepStudyResult:
        return cls(**{field.name: getattr(study, field.name) for field in fields(study)})

    def figure(self) -> Any:
        """|error| against h per scheme and precision, log-log: a Figure that shows itself."""
        from diffmagic.views.step_figure import step_figure

        return step_figure(self)
