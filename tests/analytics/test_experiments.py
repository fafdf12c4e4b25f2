"""The holdout's rules, pure: the share a seller may hold out, a stable draw that holds out
that share, and an experiment that, once stopped, never runs again."""

from __future__ import annotations

import pytest

from chuhai.analytics.experiments import (
    HOLDOUT,
    check_kind,
    check_status_change,
    group_of,
    share_bp,
)
from chuhai.core.errors import Conflict, InvalidInput


def test_the_share_is_more_than_nothing_and_at_most_half():
    assert share_bp("0.10") == 1000
    assert share_bp(0.5) == 5000
    assert share_bp("0.0001") == 1
    for bad in (0, "0", -0.1, 0.51, 1, "ten", None, True, "nan", "0.00001", float("inf")):
        with pytest.raises(InvalidInput) as err:
            share_bp(bad)
        assert err.value.code == "bad_share"


def test_the_draw_is_stable_and_holds_out_the_share():
    subjects = [f"cus_{i:08d}" for i in range(100_000)]
    first = [group_of("salt-a", s, 1000) for s in subjects]
    assert first == [group_of("salt-a", s, 1000) for s in subjects]  # never re-drawn
    held = first.count(HOLDOUT) / len(subjects)
    assert 0.097 < held < 0.103
    # another experiment (another salt) draws independently of this one
    other = [group_of("salt-b", s, 1000) for s in subjects]
    both = sum(a == b == HOLDOUT for a, b in zip(first, other, strict=True)) / len(subjects)
    assert 0.008 < both < 0.012


def test_a_stopped_experiment_never_runs_again():
    assert check_status_change("running", "stopped") == "stopped"
    assert check_status_change("stopped", "stopped") == "stopped"
    with pytest.raises(Conflict) as err:
        check_status_change("stopped", "running")
    assert err.value.code == "experiment_stopped"
    with pytest.raises(InvalidInput):
        check_status_change("running", "paused")
    assert check_kind("interest") == "interest"
    with pytest.raises(InvalidInput) as bad:
        check_kind("pricing")
    assert bad.value.code == "bad_experiment_kind"
