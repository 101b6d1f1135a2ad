"""Shared test settings: the Hypothesis profiles every property and fuzz test runs under.

"ci" (the default) is derandomised and bounded, so CI runs the same 50 examples every time;
`HYPOTHESIS_PROFILE=dev` runs 2,000 fresh ones per test for a local hunt.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=50,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
