"""Tests of the scoring engine (spatz.scoring)."""
