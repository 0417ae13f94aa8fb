"""Settings every test package shares: the hypothesis profiles."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# CI machines are small and shared: fewer examples there, no per-example deadline anywhere
# (timing belongs to `hologram bench`, not to tests).
settings.register_profile("dev", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
# A few examples per test: for runs that are slow per example (under compute-sanitizer, on a
# lent GPU machine whose time is short).
settings.register_profile("quick", max_examples=6, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
