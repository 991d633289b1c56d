"""The load benchmark: scratch PostgreSQL database, bulk data, gunicorn in production settings, wrk.

    python bench/run.py            # 1,000,000 attempts (loads in well under a minute)
    python bench/run.py --quick    # 20,000 attempts, 3 s a row: to try it out
    python bench/run.py --reuse    # keep the database loaded by the previous run

Every row is a wrk run of --seconds (default 10) at --connections (64) against 127.0.0.1; the
ceiling row is bench/urls.py's minimal authenticated endpoint on the same server. The database is
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_testpress), dropped and
created unless --reuse. Needs `wrk` (Debian: apt-get install -y wrk).
"""

import argparse
import json
import os
import secrets
import shutil
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
PYTHON = sys.executable
SIZES = {
    "full": ["--exams", "2", "--students", "500000", "--attempts", "1000000", "--running", "20000"],
    "quick": ["--exams", "2", "--students", "5000", "--attempts", "20000", "--running", "3000"],
}
CONFIGS = {
    "sync": ["--worker-class", "sync", "--workers", str(2 * os.cpu_count() + 1)],
    "gthread": ["--worker-class", "gthread", "--workers", str(os.cpu_count()), "--threads", "8"],
}


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
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "testpress.wsgi:application", "--bind", f"127.0.0.1:{port}",
         *CONFIGS[config], "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/v2.1/ceiling/", timeout=1)
        except urllib.error.HTTPError:
            return server  # 401 without a token: the server answers
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def wrk(port: int, targets: str, seconds: int, connections: int) -> dict:
    threads = 2
    env = {**os.environ, "BENCH_TARGETS": targets, "BENCH_THREADS": str(threads)}
    result = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s",
         "-s", str(ROOT / "bench" / "wrk.lua"), f"http://127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH "))
    return json.loads(line[len("BENCH ") :])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="skip migrate and load")
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--configs", default="sync,gthread", help=f"gunicorn configurations: {','.join(CONFIGS)}"
    )
    parser.add_argument("--only", default="", help="run only endpoints whose name contains this")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    seconds = args.seconds or (3 if args.quick else 10)
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
    }
    manage = [PYTHON, "manage.py"]
    if not args.reuse:
        recreate(url)
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        started = time.monotonic()
        subprocess.run([*manage, "seed_load", *SIZES["quick" if args.quick else "full"]], cwd=ROOT, env=env,
                       check=True)  # fmt: skip
        print(f"loaded in {time.monotonic() - started:.1f} s")
    out = Path(tempfile.mkdtemp(prefix="bench-"))
    subprocess.run([PYTHON, "-m", "bench.prepare", str(out)], cwd=ROOT, env=env, check=True)
    endpoints = json.loads((out / "endpoints.json").read_text())
    rank = endpoints.pop("_rank", None)
    for config in args.configs.split(","):
        port = free_port()
        server = serve(env, config, port)
        rows = {}
        try:
            for name, info in endpoints.items():
                if args.only and args.only not in name and name != "ceiling":
                    continue
                if "skipped" in info:
                    rows[name] = info
                    continue
                rows[name] = {**info, **wrk(port, info["targets"], seconds, args.connections)}
        finally:
            server.terminate()
            server.wait()
        print_table(config, rows, seconds, args.connections)
    if rank:
        print(f"rank+percentile of one attempt among {rank['ranked_attempts']:,} ranked: "
              f"{rank['median_ms']:.1f} ms (median of 5, in-process)")  # fmt: skip


def print_table(config: str, rows: dict, seconds: int, connections: int) -> None:
    print(
        f"\ngunicorn {config} ({' '.join(CONFIGS[config])}), wrk {connections} connections, {seconds} s a row"
    )
    header = f"{'endpoint':44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'SQL':>4}"
    header += f" {'vs ceiling':>10}"
    print(header)
    print("-" * len(header))
    ceiling = rows.get("ceiling", {})
    ceiling_rps = ceiling["requests"] / ceiling["duration_us"] * 1e6 if "requests" in ceiling else None
    for name, row in rows.items():
        if "skipped" in row:
            print(f"{name:44} skipped: {row['skipped']}")
            continue
        rps = row["requests"] / row["duration_us"] * 1e6
        ratio = f"{rps / ceiling_rps:.0%}" if ceiling_rps else "-"
        errors = f"{row['errors']}" + ("" if row["status"] < 400 else f" ({row['status']})")
        print(f"{name:44} {rps:8.0f} {row['p50_us'] / 1000:8.1f} {row['p99_us'] / 1000:8.1f} {errors:>7} "
              f"{row['queries']:4d} {ratio:>10}")  # fmt: skip


if __name__ == "__main__":
    main()
