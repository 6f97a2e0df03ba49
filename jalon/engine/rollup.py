"""Rollup of indicator statuses to projects, axes and levers, and project status.

A rollup is a count per status, never an average: an average of statuses would hide
the one indicator that is off track.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum

import numpy as np

from .status import STATUS_ORDER


def rollup_counts(
    statuses: Sequence[str], groups: Mapping[str, Sequence[int]]
) -> dict[str, dict[str, int]]:
    """Return, for each group, how many of its indicators (indices into `statuses`) have
    each status; every status of STATUS_ORDER is a key, in that order, zeros included."""
    rank = {status.value: i for i, status in enumerate(STATUS_ORDER)}
    unknown = sorted({str(s) for s in statuses} - rank.keys())
    if unknown:
        raise ValueError(f"Unknown status: {', '.join(unknown)}")
    codes = np.array([rank[str(s)] for s in statuses], dtype=int)
    out = {}
    for group in sorted(groups):
        counts = np.bincount(codes[np.asarray(groups[group], dtype=int)], minlength=len(rank))
        out[group] = {status.value: int(counts[i]) for i, status in enumerate(STATUS_ORDER)}
    return out


class ProjectStatus(StrEnum):
    """Where a flagship project stands, from its milestones."""

    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    LATE = "late"
    DONE = "done"
    NO_MILESTONES = "no_milestones"  # nothing to judge it by: said, never taken as on track


def project_status(
    milestones: Sequence[tuple[dt.date, dt.date | None]],
    today: dt.date,
    *,
    start: dt.date | None = None,
    override: ProjectStatus | None = None,
) -> ProjectStatus:
    """Return a project's status from its milestones (due, done or None) as of `today`.

    In order: the override if given (the caller enforces its comment); done when there
    is at least one milestone and all are done; late when a milestone is past due and
    not done; not started before `start` while no milestone is done; no milestones when
    there are none to judge by; else on track.
    """
    if override is not None:
        return ProjectStatus(override)
    if milestones and all(done is not None for _, done in milestones):
        return ProjectStatus.DONE
    if any(done is None and due < today for due, done in milestones):
        return ProjectStatus.LATE
    if start is not None and today < start and all(done is None for _, done in milestones):
        return ProjectStatus.NOT_STARTED
    if not milestones:
        return ProjectStatus.NO_MILESTONES
    return ProjectStatus.ON_TRACK
