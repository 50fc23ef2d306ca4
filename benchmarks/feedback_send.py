"""Benchmark: invitations per second through the whole pipeline, next to plain smtplib.

    .venv/bin/python benchmarks/feedback_send.py --database-url postgres://postgres@127.0.0.1:5432/raves_bench

It starts its own Redis (a free port), an aiosmtpd sink (its own process), gunicorn (2 workers) and
a Celery worker (prefork, concurrency 4), all on PostgreSQL; creates a business and an API key with
the management commands; then times, from the first POST until the sink has every message:
10 calls of 1,000 requests to POST /api/v1/feedback-requests/ -> the worker -> SMTP.
Right after, it sends the same number of messages (a copy of a real invitation, one recipient
each) with plain smtplib over one connection to the same sink, and prints both rates and the ratio.
It measures both 3 times (new customers each time, the database vacuumed before each) and reports
the median ratio. The target is a pipeline at least half as fast as plain SMTP.

This is a script, not a test: it prints figures, it asserts nothing but completeness.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
INHERITED_SETTINGS = (
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "DJANGO_SETTINGS_MODULE",
    "RAVES_VAR_DIR",
    "DEBUG",
    "SECRET_KEY",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "FEEDBACK_SEND_LEASE_SECONDS",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, what: str, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"Timed out after {timeout} s waiting for {what}.")
        time.sleep(step)


# --- The SMTP sink, in a process of its own so that it never shares a GIL with a sender ---------
def run_sink(port: int, counters, sample_queue, ready) -> None:
    """Count accepted messages and distinct recipients; hand the first message to the parent."""
    import asyncio  # noqa: F401  (aiosmtpd needs it; imported here so the parent stays light)

    from aiosmtpd.controller import Controller

    recipients: set[str] = set()

    class Handler:
        async def handle_DATA(self, server, session, envelope) -> str:
            with counters.get_lock():
                if counters[0] == 0:
                    sample_queue.put(bytes(envelope.original_content))
                counters[0] += 1
                recipients.update(envelope.rcpt_tos)
                counters[1] = len(recipients)
            return "250 OK"

        async def handle_RSET(self, server, session, envelope) -> str:
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    signal.sigwait({signal.SIGTERM})
    controller.stop()


class Sink:
    def __init__(self) -> None:
        self.port = free_port()
        context = multiprocessing.get_context("fork")
        self.counters = context.Array("q", [0, 0])  # messages, distinct recipients
        self.samples = context.Queue()
        ready = context.Event()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # the child waits for it with sigwait
        self.process = context.Process(target=run_sink, args=(self.port, self.counters, self.samples, ready))
        self.process.start()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        if not ready.wait(15):
            raise SystemExit("The SMTP sink did not start.")

    @property
    def messages(self) -> int:
        return self.counters[0]

    @property
    def recipients(self) -> int:
        return self.counters[1]

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


# --- Processes --------------------------------------------------------------------------------
class Processes:
    """Every subprocess started, each in its own process group, stopped together at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append((name, process))
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for _, process in reversed(self.started):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in reversed(self.started):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# --- CPU accounting: where the machine's time goes, whatever else runs on it ----------------
def cpu_seconds(pid: int) -> tuple[int, float] | None:
    """(process group, user + system CPU seconds) of a process, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_backends(database_url: str) -> list[int]:
    import psycopg2

    parts = urlsplit(database_url)
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [parts.path.lstrip("/")])
            return [pid for (pid,) in cursor.fetchall()]
    finally:
        connection.close()


def cpu_by_role(processes: Processes, sink: Sink, database_url: str) -> dict[str, float]:
    """CPU seconds used so far by each part: web, worker, redis, sink, PostgreSQL backends, this script."""
    groups = {process.pid: name for name, process in processes.started}
    totals = {"worker (main)": 0.0, **dict.fromkeys([*groups.values(), "sink", "postgres", "benchmark"], 0.0)}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := cpu_seconds(int(entry.name))) and found[0] in groups:
            # The Celery worker's main process apart from its pool processes (which run the tasks).
            name = "worker (main)" if groups[found[0]] == "worker" and found[0] == int(entry.name) else groups[found[0]]
            totals[name] += found[1]
    totals["sink"] = (cpu_seconds(sink.process.pid) or (0, 0.0))[1]
    totals["postgres"] = sum((cpu_seconds(pid) or (0, 0.0))[1] for pid in database_backends(database_url))
    times = os.times()
    totals["benchmark"] = times.user + times.system
    return totals


def production_env(database_url: str, workdir: Path, *, redis_port: int, smtp_port: int) -> dict[str, str]:
    """The environment of the web server and the worker: production settings on our own services."""
    env = {name: value for name, value in os.environ.items() if name not in INHERITED_SETTINGS}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="false",
        SECRET_KEY="benchmark-secret-key-" + "x" * 40,
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="https://raves.test",
        DATABASE_URL=database_url,
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        RAVES_VAR_DIR=str(workdir / "var"),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    return env


def run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def ensure_database(database_url: str) -> None:
    import psycopg2

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    connection = psycopg2.connect(admin)
    connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def vacuum(database_url: str) -> None:
    """VACUUM ANALYZE the benchmark database, so that no run pays for the dead rows of the one before
    (autovacuum may be off, as on this project's CI machines, or simply not have come round yet)."""
    import psycopg2

    connection = psycopg2.connect(database_url)
    connection.autocommit = True  # VACUUM cannot run in a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    finally:
        connection.close()


def api_post(base: str, key: str, body) -> tuple[int, object]:
    request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
        f"{base}/api/v1/feedback-requests/",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (http://127.0.0.1 only)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (http://127.0.0.1 only)
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


# --- The two measurements -----------------------------------------------------------------
def measure_pipeline(base: str, key: str, sink: Sink, total: int, per_call: int, run_id: str, timeout: float, cpu):
    calls = []
    messages_before, recipients_before = sink.messages, sink.recipients
    cpu_before = cpu()
    started = time.perf_counter()
    for call in range(total // per_call):
        items = [
            {
                "customer": {"name": f"Customer {n}", "email": f"bench-{run_id}-{n}@example.com"},
                "reference": f"bench-{run_id}-{n}",
            }
            for n in range(call * per_call, (call + 1) * per_call)
        ]
        call_started = time.perf_counter()
        status, answer = api_post(base, key, items)
        calls.append(time.perf_counter() - call_started)
        if status != 201:
            raise SystemExit(f"POST answered {status}: {str(answer)[:2000]}")
    posted = time.perf_counter() - started
    wait_until(
        lambda: sink.recipients - recipients_before >= total, timeout, f"{total} messages at the sink", step=0.01
    )
    elapsed = time.perf_counter() - started
    cpu_after = cpu()
    return {
        "seconds": elapsed,
        "per_second": total / elapsed,
        "cpu_ms_per_message": {
            role: round((cpu_after[role] - cpu_before.get(role, 0.0)) * 1000 / total, 2) for role in cpu_after
        },
        "api_seconds": posted,
        "api_call_seconds": [round(seconds, 3) for seconds in calls],
        "messages": sink.messages - messages_before,
        "recipients": sink.recipients - recipients_before,
    }


def measure_smtplib(port: int, sink: Sink, sample: bytes, total: int, run_id: str):
    before = sink.messages
    cpu_before = os.times().user + os.times().system, (cpu_seconds(sink.process.pid) or (0, 0.0))[1]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for n in range(total):
            client.sendmail("raves@localhost", [f"plain-{run_id}-{n}@example.com"], sample)
    wait_until(lambda: sink.messages - before >= total, 60, "the plain smtplib messages at the sink", step=0.01)
    elapsed = time.perf_counter() - started
    cpu_after = os.times().user + os.times().system, (cpu_seconds(sink.process.pid) or (0, 0.0))[1]
    return {
        "seconds": elapsed,
        "per_second": total / elapsed,
        "message_bytes": len(sample),
        "cpu_ms_per_message": {
            "smtplib client": round((cpu_after[0] - cpu_before[0]) * 1000 / total, 2),
            "sink": round((cpu_after[1] - cpu_before[1]) * 1000 / total, 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/raves_bench"),
        help="PostgreSQL database to use (created if missing, migrated). Default: %(default)s",
    )
    parser.add_argument("--requests", type=int, default=10_000, help="Requests to create and send (default 10,000)")
    parser.add_argument("--per-call", type=int, default=1_000, help="Requests per API call (default 1,000)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--concurrency", type=int, default=4, help="Celery worker processes (default 4: 2 per CPU, see README)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Celery worker processes, each with --concurrency pool processes, as `docker compose up "
        "--scale worker=N` runs them (default 1)",
    )
    parser.add_argument("--runs", type=int, default=3, help="Measurements, each with its own data (default 3)")
    parser.add_argument("--timeout", type=float, default=600, help="Seconds to wait for every message")
    parser.add_argument("--keep-logs", action="store_true", help="Keep the subprocesses' logs and print where")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON too")
    options = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is needed (Debian: apt-get install redis-server).")

    workdir = Path(tempfile.mkdtemp(prefix="raves-bench-"))
    processes = Processes(workdir)
    sink = Sink()
    try:
        report = benchmark(options, workdir, processes, sink)
    finally:
        processes.stop_all()
        sink.stop()
        if options.keep_logs:
            print(f"Logs: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print_report(report, options)


def benchmark(options, workdir: Path, processes: Processes, sink: Sink) -> dict:
    run_id = uuid.uuid4().hex[:8]
    redis_port, web_port = free_port(), free_port()
    ensure_database(options.database_url)
    env = production_env(options.database_url, workdir, redis_port=redis_port, smtp_port=sink.port)
    redis_command = ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--dir", str(workdir)]
    processes.start("redis", redis_command + ["--save", "", "--appendonly", "no"], env)
    python = sys.executable
    run([python, "manage.py", "migrate", "--noinput"], env)
    slug = f"bench-{run_id}"
    run(
        [
            python,
            "manage.py",
            "create_business",
            slug,
            "--name",
            "Benchmark Bikes",
            "--owner-email",
            f"{slug}@example.com",
        ],
        env,
    )
    key = run([python, "manage.py", "create_api_key", slug], env).strip().splitlines()[-1]

    base = f"http://127.0.0.1:{web_port}"
    processes.start(
        "gunicorn",
        [
            python,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{web_port}",
            "--workers",
            str(options.web_workers),
            "--timeout",
            "120",
            "--no-control-socket",
        ],
        env,
    )
    nodes = []
    for number in range(options.workers):
        name = "worker" if number == 0 else f"worker-{number + 1}"
        nodes.append((name, f"bench-{run_id}-{number}@localhost"))
        command = [python, "-m", "celery", "-A", "config", "worker", "-Q", "alerts,bulk", "--pool=prefork"]
        command += [f"--concurrency={options.concurrency}", "-l", "INFO", "--without-mingle", "--without-gossip"]
        processes.start(name, [*command, "-n", nodes[-1][1]], env)
    wait_until(lambda: answers(f"{base}/healthz"), 60, "gunicorn")
    for name, node in nodes:
        wait_until(lambda: f"{node} ready." in processes.log(name), 60, f"the Celery worker {name}")  # noqa: B023

    def cpu() -> dict[str, float]:
        return cpu_by_role(processes, sink, options.database_url)

    runs, sample = [], None
    for number in range(options.runs):
        vacuum(options.database_url)
        pipeline = measure_pipeline(
            base, key, sink, options.requests, options.per_call, f"{run_id}-{number}", options.timeout, cpu
        )
        sample = sample or sink.samples.get(timeout=10)  # the first message the sink received
        plain = measure_smtplib(sink.port, sink, sample, options.requests, f"{run_id}-{number}")
        runs.append({"pipeline": pipeline, "smtplib": plain, "ratio": pipeline["per_second"] / plain["per_second"]})
    return {
        "requests": options.requests,
        "per_call": options.per_call,
        "web_workers": options.web_workers,
        "concurrency": options.concurrency,
        "workers": options.workers,
        "cpus": os.cpu_count(),
        "runs": runs,
        "median_ratio": statistics.median(run["ratio"] for run in runs),
    }


def print_report(report: dict, options) -> None:
    print(
        f"Machine: {report['cpus']} CPUs; gunicorn {report['web_workers']} workers; {report['workers']} Celery "
        f"worker(s) of concurrency {report['concurrency']}; PostgreSQL; Redis; aiosmtpd sink in its own process"
    )
    for number, run in enumerate(report["runs"], start=1):
        print(f"Run {number}:")
        print_run(run, report)
    load = os.getloadavg()
    print(f"Load average at the end (1, 5, 15 min): {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    ratios = ", ".join(f"{run['ratio']:.0%}" for run in report["runs"])
    verdict = "meets" if report["median_ratio"] >= 0.5 else "misses"
    median = report["median_ratio"]
    print(f"Ratio, median of {len(report['runs'])} runs: {median:.0%} ({ratios}; {verdict} the 50 % target)")
    if options.json:
        print(json.dumps(report, indent=2))


def print_run(run: dict, report: dict) -> None:
    pipeline, plain = run["pipeline"], run["smtplib"]
    print(
        f"  Pipeline: {report['requests']:,} requests in {report['requests'] // report['per_call']} API calls "
        f"-> {pipeline['messages']:,} messages to {pipeline['recipients']:,} recipients in "
        f"{pipeline['seconds']:.1f} s = {pipeline['per_second']:.0f} emails/s "
        f"(the API calls took {pipeline['api_seconds']:.1f} s)"
    )
    print(
        f"  Plain smtplib, one connection: {report['requests']:,} messages of {plain['message_bytes']:,} bytes "
        f"in {plain['seconds']:.1f} s = {plain['per_second']:.0f} messages/s"
    )
    print(
        "  CPU ms per message, pipeline: "
        + ", ".join(f"{k} {v}" for k, v in pipeline["cpu_ms_per_message"].items())
        + f" (total {sum(pipeline['cpu_ms_per_message'].values()):.2f})"
    )
    print("  CPU ms per message, smtplib: " + ", ".join(f"{k} {v}" for k, v in plain["cpu_ms_per_message"].items()))
    print(f"  Ratio: {run['ratio']:.0%} of plain SMTP")


if __name__ == "__main__":
    main()
