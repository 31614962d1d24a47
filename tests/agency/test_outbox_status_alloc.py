"""Random status index allocation: uniform, unordered, unique, persistent, bounded."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from pathlib import Path

import pytest

from ledger.agency.status_alloc import StatusIndexAllocator
from ledger.errors import StatusListFull


def test_indexes_are_unique_until_the_list_is_full(tmp_path: Path) -> None:
    with StatusIndexAllocator(tmp_path / "s.db", max_fill=0.5) as alloc:
        got = [alloc.allocate(1, 1024) for _ in range(512)]
        assert len(set(got)) == 512
        assert all(0 <= i < 1024 for i in got)
        with pytest.raises(StatusListFull):
            alloc.allocate(1, 1024)
        # another list is unaffected
        assert 0 <= alloc.allocate(2, 1024) < 1024


def test_indexes_do_not_reveal_issuance_order(tmp_path: Path) -> None:
    with StatusIndexAllocator(tmp_path / "s.db") as alloc:
        got = [alloc.allocate(1, 1 << 20) for _ in range(300)]
    ranks = {v: r for r, v in enumerate(sorted(got))}
    n = len(got)
    d2 = sum((i - ranks[v]) ** 2 for i, v in enumerate(got))
    spearman = 1 - 6 * d2 / (n * (n * n - 1))
    assert abs(spearman) < 0.3
    ascending_steps = sum(b > a for a, b in itertools.pairwise(got))
    assert 0.3 < ascending_steps / (n - 1) < 0.7


def test_first_index_of_a_list_is_uniform(tmp_path: Path) -> None:
    rng = random.Random(1)
    counts: Counter[int] = Counter()
    with StatusIndexAllocator(tmp_path / "s.db") as alloc:
        for list_id in range(4000):
            counts[alloc.allocate(list_id, 8, rng=rng.randrange)] += 1
    assert set(counts) == set(range(8))
    assert all(400 < c < 600 for c in counts.values())


def test_allocation_succeeds_when_random_draws_keep_colliding(tmp_path: Path) -> None:
    always_zero = lambda n: 0  # noqa: E731
    with StatusIndexAllocator(tmp_path / "s.db") as alloc:
        got = [alloc.allocate(1, 10, rng=always_zero) for _ in range(5)]
    assert got == [0, 1, 2, 3, 4]


def test_exact_draw_picks_among_free_indexes_only(tmp_path: Path) -> None:
    seq = iter([0, 2, 4] + [0] * 32 + [2])  # fill 0,2,4; then collide 32×; then 3rd free = 5
    with StatusIndexAllocator(tmp_path / "s.db") as alloc:
        got = [alloc.allocate(1, 10, rng=lambda n: next(seq)) for _ in range(4)]
    assert got == [0, 2, 4, 5]


def test_allocations_persist_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with StatusIndexAllocator(path) as alloc:
        first = alloc.allocate(1, 4, rng=lambda n: 3)
    with StatusIndexAllocator(path) as alloc:
        assert alloc.allocated(1) == 1
        second = alloc.allocate(1, 4, rng=lambda n: 3 if n == 4 else 0)
    assert (first, second) == (3, 0)


def test_constructor_does_no_io(tmp_path: Path) -> None:
    StatusIndexAllocator(tmp_path / "nope" / "s.db")
    assert not (tmp_path / "nope").exists()


def test_allocate_many_draws_distinct_indexes_atomically(tmp_path: Path) -> None:
    with StatusIndexAllocator(tmp_path / "s.db", max_fill=0.5) as alloc:
        got = alloc.allocate_many(1, 64, 30)
        assert len(set(got)) == 30
        with pytest.raises(StatusListFull):
            alloc.allocate_many(1, 64, 3)
        assert alloc.allocated(1) == 30
        assert len(alloc.allocate_many(1, 64, 2)) == 2
