"""The exam-day mix: N students, each heartbeating every 60 s and saving an answer every 20 s.

    python -m bench.examday TARGETS PORT STUDENTS SECONDS

TARGETS is a JSON list, one entry a student: [token, heartbeat path, [[save path, body], ...]]
(prepare.py writes it). The load is open-loop: every request has a time it is due, whatever the
server did with the ones before, and its latency counts from that time, so a server that falls
behind shows it in p99 instead of quietly slowing the generator down (wrk's closed loop would).
Each student's first heartbeat and save fall at a random phase of their period, as on a real exam
morning where students did not all start in the same second. Prints one JSON line of results.
"""

import asyncio
import json
import random
import sys
import time

HEARTBEAT_EVERY = 60.0
SAVE_EVERY = 20.0


def schedule(students: int, seconds: float, rng: random.Random) -> list[tuple[float, int, int]]:
    """(due second, student, request number) sorted by due time; request 0 is the heartbeat, n ≥ 1 saves."""
    events = []
    for student in range(students):
        for period, kind in ((HEARTBEAT_EVERY, 0), (SAVE_EVERY, 1)):
            due, n = rng.uniform(0, period), 0
            while due < seconds:
                events.append((due, student, 0 if kind == 0 else 1 + n))
                due, n = due + period, n + 1
    events.sort()
    return events


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


async def drive(targets: list, port: int, students: int, seconds: float, seed: int = 1) -> dict:
    import aiohttp  # the bench extra; schedule() above needs nothing beyond the standard library

    events = schedule(students, seconds, random.Random(seed))
    latencies: list[float] = []
    errors: dict[str, int] = {}
    base = f"http://127.0.0.1:{port}"
    # Enough sockets that the client is never what queues: the server's backlog is what is measured.
    connector = aiohttp.TCPConnector(limit=512, limit_per_host=512)
    timeout = aiohttp.ClientTimeout(total=10)

    async def one(session, due: float, student: int, number: int, start: float) -> None:
        token, heartbeat, saves = targets[student]
        if number == 0:
            path, body = heartbeat, "{}"
        else:
            path, body = saves[(number - 1) % len(saves)]
        headers = {"Authorization": f"JWT {token}", "Content-Type": "application/json"}
        try:
            async with session.put(base + path, data=body, headers=headers) as response:
                await response.read()
                if response.status >= 400:
                    errors[str(response.status)] = errors.get(str(response.status), 0) + 1
        except (TimeoutError, aiohttp.ClientError) as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
        latencies.append(time.monotonic() - (start + due))

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.monotonic() + 0.2
        tasks = []
        for due, student, number in events:
            wait = start + due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(session, due, student, number, start)))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - start
    latencies.sort()
    return {
        "students": students,
        "requests": len(events),
        "target_rps": len(events) / seconds,
        "achieved_rps": len(events) / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "errors": errors,
    }


def main() -> None:
    path, port, students, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    with open(path) as file:
        targets = json.load(file)
    if students > len(targets):
        raise SystemExit(f"{students} students asked for, the targets file has {len(targets)}")
    print("EXAMDAY " + json.dumps(asyncio.run(drive(targets, port, students, seconds))), flush=True)


if __name__ == "__main__":
    main()
