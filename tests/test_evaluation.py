"""Measuring: the calibration error of stated confidences."""

from __future__ import annotations

import pytest

from assistant.surfaces.evaluation import expected_calibration_error


def test_confidence_that_matches_the_hit_rate_has_no_calibration_error():
    # Four answers at 0.75 of which three are right; four at 0.25 of which one is.
    confidence = [0.75] * 4 + [0.25] * 4
    right = [1, 1, 1, 0, 1, 0, 0, 0]
    assert expected_calibration_error(confidence, right) == pytest.approx(0.0)


def test_overconfidence_is_the_gap_weighted_by_share():
    # Half the answers claim 0.95 and are right half the time: a gap of 0.45 on half.
    confidence = [0.95] * 4 + [0.05] * 4
    right = [1, 1, 0, 0, 0, 0, 0, 0]
    assert expected_calibration_error(confidence, right) == pytest.approx(0.45 / 2 + 0.05 / 2)
