"""CPU time per request, read from /proc: the app server's, PostgreSQL's and the whole machine's.

Requests a second swing with whatever else the machine runs; the CPU a request costs each process
barely does, so the report prints both. It does follow the host's own speed (a slower virtual CPU
costs every process alike): compare runs made one after the other. Linux only (the bench's machines
are).

A process's own time is utime + stime in /proc/<pid>/stat; the time of its children that ended and
were waited for is its cutime + cstime. gunicorn's master waits for the workers it recycles and
PostgreSQL's postmaster for the backends whose connections closed, so their time is not lost.
"""

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _times(pid: int | str) -> tuple[int, int]:
    """(own ticks, ticks of ended children) of one process; (0, 0) when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0, 0
    # The command name, in parentheses, may hold spaces: the fields are counted after its ")".
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(fields[k]) for k in (11, 12, 13, 14))
    return utime + stime, cutime + cstime


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (gunicorn's master: its workers)."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def tree_seconds(pid: int) -> float:
    """CPU seconds of a process, its live children and the children it has waited for."""
    own, ended = _times(pid)
    return (own + ended + sum(_times(child)[0] for child in children(pid))) / TICKS


def named_seconds(prefix: str) -> float:
    """CPU seconds of every process whose command name starts with `prefix`, ended children included."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text()
        except OSError:
            continue
        if name.startswith(prefix):
            ticks += sum(_times(entry.name))
    return ticks / TICKS


def machine_busy_seconds() -> float:
    """CPU seconds the machine's cores ran anything: user, nice, system, irq and softirq time (not idle,
    not waiting for the disk, not stolen by the hypervisor for other machines)."""
    user, nice, system, _idle, _iowait, irq, softirq = (
        int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]
    )
    return (user + nice + system + irq + softirq) / TICKS


def snapshot(server_pid: int) -> dict[str, float]:
    return {
        "app": tree_seconds(server_pid),
        "db": named_seconds("postgres"),
        "all": machine_busy_seconds(),
    }


def per_request_ms(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request, by part, between two snapshots."""
    return {part: 1000 * (after[part] - before[part]) / max(requests, 1) for part in before}
