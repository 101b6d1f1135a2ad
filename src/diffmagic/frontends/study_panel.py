"""A small ipywidgets panel for the parameter study: a slider for the largest n, a budget, a run
button, and the cost figure with its table in one output area.

A study takes seconds, so nothing runs on a slider move: the button runs it with the sizes
10^1 .. 10^k the slider chose, and the output is replaced in one assignment when it is done.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from diffmagic.api.study import DEFAULT_METHODS, ParameterStudy, parameter_study
from diffmagic.limits.explain import one_line

FIGURE_DPI = 80


class StudyPanel:
    """Controls for `parameter_study(f, ...)` and the last study they ran (`.study`)."""

    def __init__(
        self,
        f: Any,
        make_at: Callable[[int], Any] | None = None,
        methods: Sequence[str] | str = DEFAULT_METHODS,
        params: Mapping[str, Any] | None = None,
        largest_power: int = 4,
        time_budget_s: float = 5.0,
    ) -> None:
        import ipywidgets as widgets

        self.f = f
        self.make_at = make_at
        self.methods = methods
        self.params = params
        self.study: ParameterStudy | None = None
        self.largest = widgets.IntSlider(
            value=largest_power,
            min=1,
            max=6,
            description="n up to 10^",
            continuous_update=False,
        )
        self.budget = widgets.FloatSlider(
            value=time_budget_s,
            min=0.5,
            max=60.0,
            step=0.5,
            description="budget (s)",
            continuous_update=False,
        )
        self.button = widgets.Button(description="run the study", icon="play")
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="study")
        self.output = widgets.Output(layout=widgets.Layout(min_height="420px"))
        self.button.on_click(lambda _: self.run())
        self.widget = widgets.VBox(
            [widgets.HBox([self.largest, self.budget, self.button]), self.progress, self.output]
        )

    @property
    def sizes(self) -> list[int]:
        """1, 10, 100, ... up to 10^(slider)."""
        return [10**k for k in range(0, int(self.largest.value) + 1)]

    def _report(self, fraction: float, label: str) -> None:
        self.progress.value = min(max(fraction, 0.0), 1.0)
        self.progress.description = label[:18]

    def run(self) -> ParameterStudy | None:
        """Run the study for the chosen sizes and budget, and show it."""
        from diffmagic.views.figure import figure_bytes

        self.button.disabled = True
        try:
            self.study = parameter_study(
                self.f,
                sizes=self.sizes,
                make_at=self.make_at,
                methods=self.methods,
                time_budget_s=float(self.budget.value),
                params=self.params,
                progress=self._report,
            )
            png = base64.b64encode(figure_bytes(self.study.figure(), "png", dpi=FIGURE_DPI))
            alt = "cost of one gradient as a multiple of one f against n, per method"
            image = f"<img alt='{alt}' src='data:image/png;base64,{png.decode('ascii')}'>"
            bundle = {
                "text/html": image + self.study._repr_html_(),
                "text/plain": str(self.study),
            }
        except Exception as error:  # shown in the panel, which keeps working
            bundle = {
                "text/html": f"<p style='color:var(--jp-error-color1, #b00020)'>"
                f"{html.escape(one_line(error))}</p>",
                "text/plain": one_line(error),
            }
        finally:
            self.button.disabled = False
        self.output.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)
        return self.study

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
