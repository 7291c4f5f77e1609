"""Shared pytest setup: hypothesis profiles.

"ci" (chosen when the CI environment variable is set) is derandomized with
bounded examples so CI is reproducible; "dev" explores more. Pick one
explicitly with HYPOTHESIS_PROFILE=ci|dev.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)
