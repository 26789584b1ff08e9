"""Hypothesis profiles: "dev" (default, random) and "ci" (derandomized, fixed
example counts, no deadline). Pick one with HYPOTHESIS_PROFILE=ci."""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=60, derandomize=True, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
