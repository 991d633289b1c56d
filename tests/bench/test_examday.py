"""The exam-day schedule: the cadence the benchmark claims is the cadence it sends."""

import random
from collections import defaultdict

from bench.examday import percentile, schedule


def test_schedule_sends_a_heartbeat_a_minute_and_an_answer_every_20_seconds():
    events = schedule(600, 120, random.Random(3))
    by_student = defaultdict(list)
    for due, student, number in events:
        by_student[student].append((due, number))
    # 120 s: exactly 2 heartbeats and 6 saves a student, whatever the phase.
    assert {len(v) for v in by_student.values()} == {8}
    first = by_student[0]
    heartbeats = [due for due, number in first if number == 0]
    saves = [due for due, number in first if number > 0]
    assert round(heartbeats[1] - heartbeats[0], 6) == 60
    assert [round(b - a, 6) for a, b in zip(saves, saves[1:], strict=False)] == [20] * 5
    # Saves walk through the student's items in turn.
    assert [number for due, number in first if number > 0] == [1, 2, 3, 4, 5, 6]


def test_schedule_is_in_time_order_and_spread_over_the_run():
    events = schedule(3000, 20, random.Random(1))
    dues = [due for due, _, _ in events]
    assert dues == sorted(dues)
    assert 0 <= dues[0] and dues[-1] < 20
    # Random phases: each second of the run gets its share of the ≈ 3000/60 + 3000/20 = 200 req/s.
    per_second = defaultdict(int)
    for due in dues:
        per_second[int(due)] += 1
    assert all(120 < n < 280 for n in per_second.values()), per_second


def test_percentile_reads_the_sorted_values():
    values = sorted(float(n) for n in range(1, 101))
    assert percentile(values, 0.5) == 51
    assert percentile(values, 0.99) == 100
    assert percentile([], 0.99) == 0
