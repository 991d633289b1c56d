"""The bench's CPU accounting: a request's cost is counted even when the process that paid it has ended."""

import os
import subprocess
import sys
import time

from bench import cpu

BURN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"


def test_a_process_tree_counts_its_live_children_and_those_it_waited_for():
    before = cpu.tree_seconds(os.getpid())
    ended = subprocess.run([sys.executable, "-c", BURN])  # waited for: its time moves to our cutime
    live = subprocess.Popen([sys.executable, "-c", BURN + "\ntime.sleep(30)"])
    try:
        deadline = time.monotonic() + 20
        while cpu.tree_seconds(os.getpid()) - before < 0.55 and time.monotonic() < deadline:
            time.sleep(0.05)
        spent = cpu.tree_seconds(os.getpid()) - before
    finally:
        live.kill()
        live.wait()
    assert ended.returncode == 0
    # Two children of 0.3 s each (plus interpreter start-ups and this loop's own time).
    assert 0.55 <= spent < 3


def test_the_machine_counts_busy_time_and_a_named_process_only_its_own(tmp_path):
    # A name of its own: other "python" processes may start and end while this runs.
    name = f"cpu-probe-{os.getpid() % 10000}"
    (tmp_path / name).symlink_to(sys.executable)
    machine_before, probe_before = cpu.machine_busy_seconds(), cpu.named_seconds(name)
    live = subprocess.Popen([str(tmp_path / name), "-c", BURN + "\ntime.sleep(30)"])
    try:
        deadline = time.monotonic() + 20
        while cpu.named_seconds(name) - probe_before < 0.25 and time.monotonic() < deadline:
            time.sleep(0.05)
        probe_spent = cpu.named_seconds(name) - probe_before
    finally:
        live.kill()
        live.wait()
    assert probe_before == 0
    assert 0.25 <= probe_spent < 3
    assert cpu.machine_busy_seconds() - machine_before >= 0.25
    assert cpu.named_seconds(name) == 0  # ended, and its time went to its parent: this test's process


def test_per_request_milliseconds_divide_each_part_by_the_requests():
    before = {"app": 1.0, "db": 0.5, "cache": 0.0, "all": 2.0}
    after = {"app": 3.0, "db": 1.5, "cache": 0.1, "all": 6.0}
    assert cpu.per_request_ms(before, after, 1000) == {"app": 2.0, "db": 1.0, "cache": 0.1, "all": 4.0}
    assert cpu.per_request_ms(before, before, 0) == {"app": 0.0, "db": 0.0, "cache": 0.0, "all": 0.0}
