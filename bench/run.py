"""The load benchmark: scratch PostgreSQL database, bulk data, gunicorn in production settings, load.

    python bench/run.py            # 1,000,000 attempts (loads in well under a minute)
    python bench/run.py --quick    # 20,000 attempts, 3 s a row: to try it out
    python bench/run.py --reuse    # keep the database loaded by a previous run (migrated again)

Every endpoint row is a wrk run of --seconds (default 10) at --connections (64) against 127.0.0.1;
the ceiling row is bench/urls.py's minimal authenticated endpoint on the same server. The exam-day
rows are bench/examday.py (paced, open-loop) at N students, N doubling until p99 reaches 200 ms or
a request fails. The database is BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/bench_testpress), dropped and created unless --reuse. Each run
loads a fresh exam-day exam (one exam, a running attempt per new student) for the rows that act on
attempts. The report is also written to bench/results/. Needs `wrk` (Debian: apt-get install -y wrk)
and the bench extra (tqdm, aiohttp).
"""

import argparse
import atexit
import datetime
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is on the path, the project root is not

from bench import cpu  # noqa: E402

PYTHON = sys.executable
CORES = os.cpu_count() or 1
SIZES = {
    "full": ["--exams", "2", "--students", "500000", "--attempts", "1000000", "--running", "20000"],
    "quick": ["--exams", "2", "--students", "5000", "--attempts", "20000", "--running", "3000"],
}
# Students of the exam-day exam: 3/4 for the mix and the attempt rows, 1/4 for the end rows.
DAY_STUDENTS = {"full": 48000, "quick": 4000}
# Students of the storm exam, a share per configuration: CREATES for the create row, the rest for
# the start storm's steps (each step takes students who have not started yet).
CREATES = {"full": 4000, "quick": 1000}
STORM_STEPS = {"full": [1500, 3000, 6000], "quick": [500, 1000, 2000]}
STORM_SECONDS = 60
STORM_P99_LIMIT_MS = 1000
CONFIGS = {
    "sync": ["--worker-class", "sync", "--workers", str(2 * CORES + 1)],
    "gthread": ["--worker-class", "gthread", "--workers", str(CORES), "--threads", "8"],
}
WARM_UP_SECONDS = 3
BUSY_LOAD = 1.5  # 1-minute load average above which figures on 2 cores are not worth much
P99_LIMIT_MS = 200

CHILDREN: list[subprocess.Popen] = []


def start(args: list[str], **kwargs) -> subprocess.Popen:
    """A child process that is stopped however this script ends (return, exception, SIGINT, SIGTERM)."""
    child = subprocess.Popen(args, **kwargs)
    CHILDREN.append(child)
    return child


def stop(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    if child in CHILDREN:
        CHILDREN.remove(child)


def stop_all() -> None:
    for child in list(CHILDREN):
        stop(child)


def on_signal(signum, frame) -> None:
    # SystemExit unwinds through the finally blocks; atexit then stops whatever is left.
    raise SystemExit(128 + signum)


class Report:
    """Prints each line and keeps it in bench/results/<start time>.txt."""

    def __init__(self) -> None:
        folder = ROOT / "bench" / "results"
        folder.mkdir(exist_ok=True)
        self.path = folder / f"{datetime.datetime.now():%Y-%m-%dT%H%M%S}.txt"
        self.file = self.path.open("w")

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.file.write(line + "\n")
        self.file.flush()


def wait_for_quiet(say: Report, limit_s: int = 120) -> str:
    """The load average, after waiting up to limit_s for other processes to calm down; flagged if not."""
    load = os.getloadavg()[0]
    waited = 0
    while load > BUSY_LOAD and waited < limit_s:
        if waited == 0:
            say(f"load average {load:.2f} > {BUSY_LOAD}: waiting up to {limit_s} s for it to fall")
        time.sleep(10)
        waited += 10
        load = os.getloadavg()[0]
    loads = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    flag = (
        f"  ** BUSY MACHINE: 1-min load {load:.2f} > {BUSY_LOAD}, figures are noisy **"
        if load > BUSY_LOAD
        else ""
    )
    return f"load average {loads}{flag}"


def recreate(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict, config: str, port: int) -> subprocess.Popen:
    server = start(
        [PYTHON, "-m", "gunicorn", "testpress.wsgi:application", "-c", str(ROOT / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", *CONFIGS[config], "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/v2.1/ceiling/", timeout=1)
        except urllib.error.HTTPError:
            return server  # 401 without a token: the server answers
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    stop(server)
    raise SystemExit("gunicorn did not start")


def wrk(port: int, targets: str, seconds: int, connections: int) -> dict:
    threads = min(2, connections)  # wrk runs at least one connection a thread
    env = {**os.environ, "BENCH_TARGETS": targets, "BENCH_THREADS": str(threads)}
    child = start(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s",
         "-s", str(ROOT / "bench" / "wrk.lua"), f"http://127.0.0.1:{port}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    stdout, stderr = child.communicate()
    stop(child)
    if child.returncode:
        raise SystemExit(f"wrk failed: {stderr}")
    line = next(line for line in stdout.splitlines() if line.startswith("BENCH "))
    return json.loads(line[len("BENCH ") :])


def examday(env: dict, port: int, targets: str, students: int, seconds: int) -> dict:
    child = start(
        [PYTHON, "-m", "bench.examday", targets, str(port), str(students), str(seconds)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    stdout, _ = child.communicate()
    stop(child)
    line = next((line for line in stdout.splitlines() if line.startswith("EXAMDAY ")), None)
    if line is None:
        raise SystemExit("bench.examday printed no result")
    result = json.loads(line[len("EXAMDAY ") :])
    result["held"] = (
        not result["errors"]
        and result["p99_ms"] < P99_LIMIT_MS
        and result["achieved_rps"] >= 0.95 * result["target_rps"]
    )
    return result


def ramp(env, port, targets: str, available: int, seconds: int, say: Report) -> int:
    """Double N from 500 while the mix holds, then one step halfway back; the largest N held."""
    say(f"{'exam day: students':44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  target req/s")
    held, failed, n = 0, None, 500
    while n <= available:
        result = examday(env, port, targets, n, seconds)
        say(examday_line(result))
        if not result["held"]:
            failed = n
            break
        held, n = n, n * 2
        time.sleep(2)  # let the server drain before the next step
    if failed and held:
        middle = (held + failed) // 2
        time.sleep(2)
        result = examday(env, port, targets, middle, seconds)
        say(examday_line(result))
        held = middle if result["held"] else held
    if failed is None:
        say(f"(held at every N up to the {available:,} students loaded)")
    return held


def storm(env: dict, port: int, targets: str, steps: list[int], say: Report) -> int:
    """The start storm at each step's N (each due within STORM_SECONDS) while it holds; the largest N held."""
    say(f"{'start storm: students in 60 s':44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    held, first = 0, 0
    for n in steps:
        child = start(
            [PYTHON, "-m", "bench.storm", targets, str(port), str(n), str(STORM_SECONDS), str(first)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        stdout, _ = child.communicate()
        stop(child)
        first += n
        line = next((line for line in stdout.splitlines() if line.startswith("STORM ")), None)
        if line is None:
            raise SystemExit("bench.storm printed no result")
        r = json.loads(line[len("STORM ") :])
        errors = sum(r["errors"].values())
        ok = not errors and r["p99_ms"] < STORM_P99_LIMIT_MS
        say(f"  N = {n:<38,} {r['requests'] / STORM_SECONDS:8.0f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} "
            f"{errors:7d}  {'held' if ok else 'NOT held'} {r['errors'] or ''}")  # fmt: skip
        if not ok:
            break
        held = n
        time.sleep(5)  # let the server drain before the next step
    return held


def examday_line(r: dict) -> str:
    errors = sum(r["errors"].values())
    verdict = "held" if r["held"] else "NOT held"
    return (f"  N = {r['students']:<38,} {r['achieved_rps']:8.0f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} "
            f"{errors:7d}  {r['target_rps']:.0f}  {verdict}")  # fmt: skip


def git_head() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="skip the bulk load (still migrates)")
    parser.add_argument("--seconds", type=int, default=None, help="wrk seconds a row (at most 10)")
    parser.add_argument("--day-seconds", type=int, default=None, help="seconds an exam-day step (≤ 20)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--admin-connections",
        type=int,
        default=1,
        help="connections for the admin list rows: 1 measures a staff member's page load; more, staff "
        "paging at once on the same 2 cores",
    )
    parser.add_argument(
        "--configs", default="sync,gthread", help=f"gunicorn configurations: {','.join(CONFIGS)}"
    )
    parser.add_argument(
        "--only", default="", help="run only endpoints whose name contains this (several: comma-separated)"
    )
    parser.add_argument("--no-examday", action="store_true", help="skip the exam-day mix")
    parser.add_argument("--no-storm", action="store_true", help="skip the start storm")
    args = parser.parse_args()
    configs = args.configs.split(",")
    if unknown := [c for c in configs if c not in CONFIGS]:
        parser.error(f"unknown configuration {unknown}; choose from {', '.join(CONFIGS)}")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    atexit.register(stop_all)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    size = "quick" if args.quick else "full"
    seconds = min(args.seconds or (3 if args.quick else 10), 10)
    day_seconds = min(args.day_seconds or (8 if args.quick else 20), 20)
    say = Report()
    say(f"bench {datetime.datetime.now():%Y-%m-%d %H:%M}, commit {git_head()}, {CORES} cores, "
        f"{wait_for_quiet(say)}")  # fmt: skip
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_testpress")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "false",  # plain http on loopback
        "NUM_PROXIES": "0",
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/15"),
        # Throttles stay in the path (their cost is measured) but never refuse the generator's load.
        "THROTTLE_READ_RATE": "1000000/s",
        "THROTTLE_WRITE_RATE": "1000000/s",
        "LOG_LEVEL": "ERROR",
        "GUNICORN_ACCESS_LOG": "/dev/null",  # gunicorn.conf.py logs to stdout by default
        "PYTHONWARNINGS": "ignore::UserWarning",  # no collectstatic here: whitenoise warns per worker
    }
    manage = [PYTHON, "manage.py"]

    def run(*command: str) -> None:
        child = start([*manage, *command], cwd=ROOT, env=env)
        if child.wait():
            raise SystemExit(f"manage.py {' '.join(command)} failed")
        stop(child)

    if not args.reuse:
        recreate(url)
    # A reused database may predate the current migrations; tallies are recounted from the attempts.
    run("migrate", "-v0")
    started = time.monotonic()
    if args.reuse:
        run("rebuild_score_tallies")
    else:
        run("seed_load", *SIZES[size])
    day = DAY_STUDENTS[size]
    day_tag = f"day{int(time.time())}"
    run("seed_load", "--exams", "1", "--students", str(day), "--attempts", str(day), "--running", str(day),
        "--items-for", "0", "--tag", day_tag)  # fmt: skip
    storm_tag = f"storm{int(time.time())}"
    # seed_load's one attempt of the exam takes one student: one more, or the last step is one short.
    storm_students = (CREATES[size] + sum(STORM_STEPS[size])) * len(configs) + 1
    run("seed_load", "--exams", "1", "--students", str(storm_students), "--attempts", "1", "--running", "0",
        "--items-for", "0", "--tag", storm_tag)  # fmt: skip
    say(f"database ready in {time.monotonic() - started:.1f} s ({'reused' if args.reuse else 'loaded'}, "
        f"{size} size, exam-day exam {day_tag} with {day:,} running attempts)")  # fmt: skip
    out = Path(tempfile.mkdtemp(prefix="bench-"))
    run_prepare = start(
        [PYTHON, "-m", "bench.prepare", str(out), day_tag, str(len(configs)), storm_tag, str(CREATES[size])],
        cwd=ROOT,
        env=env,
    )
    if run_prepare.wait():
        raise SystemExit("bench.prepare failed")
    endpoints = json.loads((out / "endpoints.json").read_text())
    rank = endpoints.pop("_rank", None)
    day_info = endpoints.pop("_examday")
    storm_info = endpoints.pop("_storm")
    held = {}
    for k, config in enumerate(configs):
        load = wait_for_quiet(say, limit_s=60)
        port = free_port()
        server = serve(env, config, port)
        rows = {}
        try:
            say(f"\ngunicorn {config} ({' '.join(CONFIGS[config])}), wrk {args.connections} connections "
                f"({args.admin_connections} for admin rows), "
                f"{seconds} s a row; {load}")  # fmt: skip
            print_header(say)
            # serve() waited for one worker's first answer: warm them all (imports, URL resolvers,
            # database connections, the signed-in users' cache) before a row is measured, or the
            # first rows (the ceilings) pay for it.
            warm_up = endpoints["ceiling"]["targets"][k % len(endpoints["ceiling"]["targets"])]
            wrk(port, warm_up, WARM_UP_SECONDS, args.connections)
            ceilings = {}
            wanted = [part for part in args.only.split(",") if part]
            for name, info in endpoints.items():
                if wanted and not any(part in name for part in wanted) and "ceiling" not in name:
                    continue
                if "skipped" in info:
                    rows[name] = info
                else:
                    targets = info["targets"][k % len(info["targets"])]
                    connections = args.admin_connections if name.startswith("admin") else args.connections
                    before = cpu.snapshot(server.pid)
                    measured = wrk(port, targets, seconds, connections)
                    spent = cpu.per_request_ms(before, cpu.snapshot(server.pid), measured["requests"])
                    rows[name] = {**info, **measured, "cpu_ms": spent}
                print_row(say, name, rows[name], ceilings)
            if not args.no_examday:
                say(
                    f"exam day: heartbeat each 60 s + answer each 20 s a student, {day_seconds} s a step, "
                    f"open-loop (bench/examday.py); held = p99 < {P99_LIMIT_MS} ms, no errors"
                )
                held[config] = ramp(env, port, day_info["targets"], day_info["students"], day_seconds, say)
                say(f"exam day, largest N held: {held[config]:,} students")
            if not args.no_storm:
                say(
                    "start storm: each student creates an attempt and reads its questions page, all due "
                    f"within {STORM_SECONDS} s, open loop (bench/storm.py); "
                    f"held = p99 < {STORM_P99_LIMIT_MS} ms, no errors"
                )
                stormed = storm(env, port, storm_info["targets"][k], STORM_STEPS[size], say)
                say(f"start storm, largest N held: {stormed:,} students in {STORM_SECONDS} s")
        finally:
            stop(server)
    if rank:
        say(f"\nrank+percentile (with_standing) of one attempt among {rank['ranked_attempts']:,} ranked: "
            f"{rank['median_ms']:.2f} ms median of {rank['runs']} in-process "
            f"(EXPLAIN ANALYZE execution {rank['explain_execution_ms']:.2f} ms); "
            f"rank {rank['rank']:,} of {rank['of']:,}")  # fmt: skip
    say(f"\n{wait_for_quiet(say, limit_s=0)} at the end; report in {say.path.relative_to(ROOT)}")


def print_header(say: Report) -> None:
    header = f"{'endpoint':44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'SQL':>4}"
    header += f" {'vs auth':>8} {'vs bare':>8} {'app ms':>7} {'db ms':>6} {'all ms':>7}"
    say(header)
    say("-" * len(header))


def print_row(say: Report, name: str, row: dict, ceilings: dict) -> None:
    """Print one endpoint's row with its req/s as a share of each ceiling measured so far, and the CPU
    milliseconds a request cost gunicorn (master and workers), PostgreSQL and the whole machine (wrk,
    Redis and the rest too; bench/cpu.py).

    The bare ceiling answers 401 on purpose: its status errors are the point, not a failure.
    """
    if "skipped" in row:
        say(f"{name:44} skipped: {row['skipped']}")
        return
    rps = row["requests"] / row["duration_us"] * 1e6
    if name == "bare ceiling (401)":
        ceilings["bare"] = rps
    elif name == "ceiling":
        ceilings["auth"] = rps
    ratios = [f"{rps / ceilings[c]:.2f}" if ceilings.get(c) else "-" for c in ("auth", "bare")]
    errors = f"{row['errors']}" + ("" if row["status"] < 400 else f" ({row['status']})")
    spent = row["cpu_ms"]
    say(f"{name:44} {rps:8.0f} {row['p50_us'] / 1000:8.1f} {row['p99_us'] / 1000:8.1f} {errors:>7} "
        f"{row['queries']:4d} {ratios[0]:>8} {ratios[1]:>8} {spent['app']:7.2f} {spent['db']:6.2f} "
        f"{spent['all']:7.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
