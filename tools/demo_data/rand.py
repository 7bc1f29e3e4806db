"""Seeded randomness: one independent generator per purpose, and low-noise selection.

Each table and month draws from its own generator derived from the seed and
names, so the output of one table does not shift when another one changes.
"""

from __future__ import annotations

import zlib

import numpy as np


def rng_for(seed: int, *keys: str | int) -> np.random.Generator:
    entropy = [seed, *(k if isinstance(k, int) else zlib.crc32(k.encode()) for k in keys)]
    return np.random.default_rng(entropy)


def exact_share(rng: np.random.Generator, groups: np.ndarray, share: np.ndarray | float) -> np.ndarray:
    """Mark round(share * size) random rows of every group.

    Ratios built this way move only by rounding from month to month, so a
    guardrail check comparing months sees the injected scenarios rather than
    sampling noise.
    """
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=bool)
    share_per_row = np.broadcast_to(np.asarray(share, dtype=np.float64), (n,))
    order = np.lexsort((rng.random(n), groups))
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[starts, n])
    rank = np.arange(n) - np.repeat(starts, sizes)
    wanted = np.floor(share_per_row[order] * np.repeat(sizes, sizes) + 0.5)
    chosen = np.empty(n, dtype=bool)
    chosen[order] = rank < wanted
    return chosen


def choice(rng: np.random.Generator, n: int, weights: np.ndarray | list[float]) -> np.ndarray:
    """Indices drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())


def pick_per_group(
    rng: np.random.Generator, group_of_row: np.ndarray, members: list[np.ndarray]
) -> np.ndarray:
    """For each row, a uniformly random member of its group (members[g]); -1 if the group is empty."""
    sizes = np.array([len(m) for m in members], dtype=np.int64)
    offsets = np.r_[0, np.cumsum(sizes)[:-1]]
    flat = np.concatenate([*members, np.array([-1], dtype=np.int64)]).astype(np.int64)
    size = sizes[group_of_row]
    position = offsets[group_of_row] + np.floor(rng.random(len(group_of_row)) * size).astype(np.int64)
    return np.where(size > 0, flat[np.where(size > 0, position, len(flat) - 1)], -1)


def choice_by_group(rng: np.random.Generator, groups: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """For each row, a category drawn from the probability row of its group (probs[group])."""
    cumulative = np.cumsum(probs, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(len(groups))
    return (u[:, None] > cumulative[groups]).sum(axis=1).astype(np.int64)


def rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal consecutive values."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    return np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
