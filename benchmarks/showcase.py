"""Benchmark: the public page and the public JSON against a trivial view, on gunicorn, PostgreSQL and Redis.

    .venv/bin/python benchmarks/showcase.py --database-url postgres://postgres@127.0.0.1:5432/raves_bench_showcase

It starts its own Redis (a free port) and gunicorn (`--no-control-socket`, 4 sync workers by
default) on PostgreSQL with the product's settings, plus one trivial view that goes through the same
middleware (benchmarks/showcase_urls.py; no product code changes); makes sure the database holds a
business with 10,000 published reviews; then runs `wrk` at 32 connections against, in turn, the
trivial view and, right after it, each public answer (the showcase page, the public reviews JSON,
the public summary JSON, the widget script) — in pairs, for several rounds, in one run, on one
server — and prints requests per second and p99 latency (medians over the rounds), the share of
the trivial view's rate (the median of each pair's ratio, so that a neighbour's load on this shared
machine weighs on both sides of a pair alike), the server's CPU time per request (gunicorn's
processes and our Redis, from /proc: hardly affected by other load) and the share it predicts,
and how long one uncached page and JSON answer take.

Target: the showcase serves at least 60 % of the trivial view's rate, p99 under 50 ms.
This is a script, not a test: it prints figures and asserts only that every answer was a 200.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, and this file would shadow the
# `showcase` app of the same name: the project root must come first instead.
sys.path[0] = str(ROOT)

SLUG = "bench-bakery"
TARGET_SHARE = 0.60
TARGET_P99_MS = 50.0


@dataclass
class Result:
    requests_per_second: float
    p99_ms: float
    cpu_ms_per_request: float
    errors: str = ""


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (from /proc)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime and stime
    return ticks / os.sysconf("SC_CLK_TCK")


def server_pids(gunicorn: subprocess.Popen, redis: subprocess.Popen) -> list[int]:
    """gunicorn's master and workers, and our Redis: the CPU one answer costs the server side."""
    children = subprocess.run(["ps", "--ppid", str(gunicorn.pid), "-o", "pid="], capture_output=True, text=True)
    return [gunicorn.pid, redis.pid, *(int(pid) for pid in children.stdout.split())]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"Timed out waiting for {what} on port {port}.")


def ensure_database(url: str) -> None:
    """Create the benchmark's PostgreSQL database when it does not exist yet."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def manage(env: dict, *arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, check=True)


def seed(env: dict, reviews: int) -> int:
    """A business with `reviews` published reviews (and a few private ratings); returns its id."""
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connections

    from businesses.models import Business, StaffMember
    from reviews.models import Review
    from tests.showcase.helpers import published_reviews_bulk, rating_only

    business, _ = Business.objects.get_or_create(
        slug=SLUG,
        defaults={"name": "Bench Bakery", "phone": "+44 117 496 0000", "email": "hello@bench-bakery.example"},
    )
    staff = [
        StaffMember.objects.get_or_create(business=business, email=f"staff{n}@bench-bakery.example", name=name)[0]
        for n, name in enumerate(["Maya Lindqvist", "Omar Haddad", "Ana Silva"])
    ]
    have = Review.objects.published().filter(business=business).count()
    batch = 2_000
    while have < reviews:
        count = min(batch, reviews - have)
        published_reviews_bulk(business, count, staff=staff[have // batch % len(staff)], start=have)
        have += count
        print(f"  seeded {have:,} published reviews", flush=True)
    if not business.feedback.filter(consent_to_publish=False).exists():
        for rating in (1, 2, 3):
            rating_only(business, rating=rating)
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics after the bulk insert, as autovacuum would
    connections.close_all()
    return business.pk


def invalidate(business_id: int) -> None:
    """Forget the business's cached answers (in the benchmark's Redis), as a moderation step does."""
    from showcase.cache import _new_version

    _new_version(business_id)


def start_redis(workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port, 10, "Redis")
    return process, port


def start_gunicorn(env: dict, args: argparse.Namespace) -> tuple[subprocess.Popen, int, list[str]]:
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        "--no-control-socket",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    wait_for_port(port, 30, "gunicorn")
    return process, port, command


LATENCY_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, *, connections: int, duration: int, pids: list[int], threads: int = 2) -> Result:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url]
    cpu_before = cpu_seconds(pids)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pids) - cpu_before
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    errors = "; ".join(line.strip() for line in output.splitlines() if "Non-2xx" in line or "Socket errors" in line)
    return Result(rate, float(value) * LATENCY_UNITS[unit], 1000 * cpu / max(requests, 1), errors)


def timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (our own server)
        assert response.status == 200, url
        response.read()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/raves_bench_showcase")
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    load = os.getloadavg()  # this machine is shared: say how busy it was
    workdir = Path(tempfile.mkdtemp(prefix="raves-bench-showcase-"))
    redis, gunicorn = None, None
    try:
        redis, redis_port = start_redis(workdir)
        ensure_database(args.database_url)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RAVES_", "DATABASE_", "REDIS_"))},
            "DJANGO_SETTINGS_MODULE": "benchmarks.showcase_settings",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "SECRET_KEY": "benchmark-only-secret-key-" + "x" * 40,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "LOG_LEVEL": "WARNING",
            "RAVES_VAR_DIR": str(workdir / "var"),
            "RAVES_BENCH_STATIC_ROOT": str(workdir / "static"),
        }
        print("Migrating, collecting static files, seeding…", flush=True)
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        gunicorn_port = free_port()
        env["SITE_URL"] = f"http://127.0.0.1:{gunicorn_port}"
        business_id = seed(env, args.reviews)
        from showcase.cache import LOCAL_SECONDS  # how long a worker keeps an answer in its own memory

        gunicorn, port, command = start_gunicorn(env, args)
        base = f"http://127.0.0.1:{port}"
        urls = {
            "trivial view (/bench/trivial)": f"{base}/bench/trivial",
            "showcase page": f"{base}/b/{SLUG}/",
            "public reviews JSON": f"{base}/api/v1/public/{SLUG}/reviews/",
            "public summary JSON": f"{base}/api/v1/public/{SLUG}/summary/",
            "widget script": f"{base}/b/{SLUG}/widget.js",
        }

        pids = server_pids(gunicorn, redis)
        for url in urls.values():
            timed_get(url)
            wrk(url, connections=args.connections, duration=2, pids=pids)  # warm every worker (first requests are slow)
        cold = {}
        for name in ("showcase page", "public reviews JSON"):
            timings = []
            for _ in range(5):
                invalidate(business_id)
                time.sleep(LOCAL_SECONDS + 0.1)  # until every worker's own memory of the answer has expired
                timings.append(timed_get(urls[name]))
            cold[name] = statistics.median(timings)

        trivial_name, trivial_url = next(iter(urls.items()))
        pairs: dict[str, list[tuple[Result, Result]]] = {name: [] for name in list(urls)[1:]}
        for round_number in range(1, args.rounds + 1):
            for name, url in list(urls.items())[1:]:
                trivial = wrk(trivial_url, connections=args.connections, duration=args.duration, pids=pids)
                answer = wrk(url, connections=args.connections, duration=args.duration, pids=pids)
                pairs[name].append((trivial, answer))
                print(
                    f"  round {round_number}: {name:22} {answer.requests_per_second:6.0f} req/s, p99 "
                    f"{answer.p99_ms:5.1f} ms, {answer.cpu_ms_per_request:.2f} CPU ms | trivial "
                    f"{trivial.requests_per_second:6.0f} req/s, p99 {trivial.p99_ms:5.1f} ms, "
                    f"{trivial.cpu_ms_per_request:.2f} CPU ms | "
                    f"{answer.requests_per_second / trivial.requests_per_second:4.0%}"
                    f"  {answer.errors} {trivial.errors}",
                    flush=True,
                )
        report(trivial_name, pairs, cold, args, command)
        start, end = (" ".join(f"{value:.1f}" for value in loads) for loads in (load, os.getloadavg()))
        print(f"Load average (1, 5, 15 min) on this shared machine: {start} at the start, {end} at the end.")
    finally:
        for process in (gunicorn, redis):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def report(trivial_name: str, pairs: dict[str, list[tuple[Result, Result]]], cold: dict, args, command) -> None:
    def median(values) -> float:
        return statistics.median(list(values))

    trivial_runs = [trivial for runs in pairs.values() for trivial, _ in runs]
    print()
    print(
        f"{args.reviews:,} published reviews; wrk -t2 -c{args.connections} -d{args.duration}s --latency; "
        f"{args.rounds} rounds of (trivial, answer) pairs; medians. CPU: gunicorn and Redis, per request."
    )
    print(f"gunicorn: {' '.join(Path(part).name if i == 0 else part for i, part in enumerate(command))}")
    print()
    print("| answer | req/s | share of trivial's req/s | p99 | server CPU per request | share by CPU | target met |")
    print("|---|---:|---:|---:|---:|---:|---|")
    rate, p99 = median(r.requests_per_second for r in trivial_runs), median(r.p99_ms for r in trivial_runs)
    cpu = median(r.cpu_ms_per_request for r in trivial_runs)
    print(f"| {trivial_name} | {rate:,.0f} | 100% | {p99:.1f} ms | {cpu:.2f} ms | 100% | — |")
    for name, runs in pairs.items():
        rate = median(answer.requests_per_second for _, answer in runs)
        p99 = median(answer.p99_ms for _, answer in runs)
        cpu = median(answer.cpu_ms_per_request for _, answer in runs)
        share = median(answer.requests_per_second / trivial.requests_per_second for trivial, answer in runs)
        cpu_share = median(trivial.cpu_ms_per_request / answer.cpu_ms_per_request for trivial, answer in runs)
        met = "yes" if share >= TARGET_SHARE and p99 < TARGET_P99_MS else "NO"
        print(f"| {name} | {rate:,.0f} | {share:.0%} | {p99:.1f} ms | {cpu:.2f} ms | {cpu_share:.0%} | {met} |")
    errors = {r.errors for runs in pairs.values() for pair in runs for r in pair if r.errors}
    if errors:
        print(f"\nwrk reported: {'; '.join(sorted(errors))}")
    print()
    for name, ms in cold.items():
        print(f"Uncached (just invalidated) {name}: {ms:.0f} ms for one request (median of 5).")


if __name__ == "__main__":
    main()
