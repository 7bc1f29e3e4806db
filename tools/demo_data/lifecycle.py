"""Rows that change after they were first exported reappear in later extracts.

An extract of month m holds the rows that appeared or changed in m, in their
state at the end of m. A row is written in the month it appears and again in
each later month in which one of its events happens (a ticket resolved, an
opportunity closed); events after the window never show.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from tools.demo_data.frame import Frame, concat, n_rows, take


def emission_months(appear: np.ndarray, events: list[np.ndarray], n_months: int) -> list[np.ndarray]:
    """Per later month, a mask of the rows to write again then (index 0 = appear month)."""
    masks = []
    for month in range(n_months):
        mask = appear == month
        for event in events:
            mask |= (event == month) & (event > appear)
        masks.append(mask)
    return masks


class Updates:
    """Holds rows until the month in which they (re)appear."""

    def __init__(self, n_months: int) -> None:
        self.n_months = n_months
        self._pending: dict[int, list[Frame]] = defaultdict(list)

    def route(self, frame: Frame, appear: np.ndarray, events: list[np.ndarray], now: int) -> Frame:
        """Rows to write in month `now`; the others are kept for their later months."""
        if not n_rows(frame):
            return frame
        current = appear == now
        for month in np.unique(np.concatenate([appear, *events])):
            if month <= now or month >= self.n_months:
                continue
            mask = appear == month
            for event in events:
                mask |= (event == month) & (event > appear)
            if mask.any():
                self._pending[int(month)].append(take(frame, np.flatnonzero(mask)))
        return take(frame, np.flatnonzero(current))

    def due(self, month: int) -> Frame:
        return concat(self._pending.pop(month, []))
