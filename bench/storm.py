"""The start storm: N students each create their attempt and read its first questions page, all within 60 s.

    python -m bench.storm TARGETS PORT STUDENTS SECONDS [FIRST]

TARGETS is a JSON list, one entry a student who has no open attempt of the storm exam:
[token, attempts_url path] (prepare.py writes it). Each student is due at a random second of the
window (open loop: the create's latency counts from that second, whatever the server did before);
the questions page is asked for as soon as the create answers, from the `questions_url` it printed,
as a client would. Held: p99 of every request under 1 s, no errors. FIRST (default 0) is the first
target used, so that successive steps of a ramp take students who have not started yet. Prints one
JSON line.
"""

import asyncio
import json
import random
import sys
import time
from urllib.parse import urlsplit

from bench.examday import percentile


async def drive(targets: list, port: int, students: int, seconds: float, seed: int = 1) -> dict:
    import aiohttp

    rng = random.Random(seed)
    dues = sorted((rng.uniform(0, seconds), student) for student in range(students))
    latencies: list[float] = []
    errors: dict[str, int] = {}
    base = f"http://127.0.0.1:{port}"
    connector = aiohttp.TCPConnector(limit=1024, limit_per_host=1024)
    timeout = aiohttp.ClientTimeout(total=30)

    def failed(kind: str) -> None:
        errors[kind] = errors.get(kind, 0) + 1

    async def one(session, due: float, student: int, start: float) -> None:
        token, attempts_path = targets[student]
        headers = {"Authorization": f"JWT {token}", "Content-Type": "application/json"}
        try:
            async with session.post(base + attempts_path, data="{}", headers=headers) as response:
                body = await response.read()
                latencies.append(time.monotonic() - (start + due))
                if response.status != 201:
                    failed(f"create {response.status}")
                    return
            questions = urlsplit(json.loads(body)["questions_url"]).path
            asked = time.monotonic()
            async with session.get(base + questions, headers=headers) as response:
                await response.read()
                latencies.append(time.monotonic() - asked)
                if response.status != 200:
                    failed(f"questions {response.status}")
        except (TimeoutError, aiohttp.ClientError) as exc:
            failed(type(exc).__name__)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.monotonic() + 0.2
        tasks = []
        for due, student in dues:
            wait = start + due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(session, due, student, start)))
        await asyncio.gather(*tasks)
    latencies.sort()
    return {
        "students": students,
        "requests": len(latencies),
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "errors": errors,
    }


def main() -> None:
    path, port, students, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    first = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    with open(path) as file:
        targets = json.load(file)[first:]
    if students > len(targets):
        raise SystemExit(f"{students} students asked for, the targets file has {len(targets)}")
    print("STORM " + json.dumps(asyncio.run(drive(targets, port, students, seconds))), flush=True)


if __name__ == "__main__":
    main()
