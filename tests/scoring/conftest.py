"""Hypothesis settings of the scoring tests, registered as the profile ``scoring``.

The profile is applied per test (``@PROFILE``) rather than loaded globally, so that it does
not change the settings of other test folders.
"""

from hypothesis import settings

from .helpers import PROFILE

settings.register_profile("scoring", PROFILE)
