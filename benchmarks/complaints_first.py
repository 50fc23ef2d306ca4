"""Benchmark: how soon the owner hears of a 1-star answer while a campaign of invitations drains.

    .venv/bin/python benchmarks/complaints_first.py --database-url postgres://postgres@127.0.0.1:5432/raves_bench

It starts its own Redis, an aiosmtpd sink (its own process), gunicorn and a Celery worker
(`-Q alerts,bulk`, concurrency 4), all on PostgreSQL, as benchmarks/feedback_send.py does. One
customer is invited first and their emailed link read from the sink. Then a campaign of 20,000
invitations is posted to the API (20 calls of 1,000); once 2,000 of them have arrived, the customer
answers 1 star through their link, as a browser does. It prints the time from that answer to the
owner's alert at the sink, how many invitations went out in between, and the campaign's drain time.
The target: the alert within 10 s. It measures 3 rounds and reports the median.

This is a script, not a test: it prints figures, it asserts nothing but completeness.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from email import message_from_bytes
from pathlib import Path

from feedback_send import (
    Processes,
    answers,
    api_post,
    ensure_database,
    free_port,
    production_env,
    run,
    vacuum,
    wait_until,
)

ROOT = Path(__file__).resolve().parent.parent
OWNER_DOMAIN = "owner.example"


# --- The SMTP sink: counts invitations, keeps the complainer's email, notes the alert's arrival --
def run_sink(port: int, counters, alert_at, complainer_emails, ready) -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope) -> str:
            recipients = [address.lower() for address in envelope.rcpt_tos]
            if any(address.endswith(f"@{OWNER_DOMAIN}") for address in recipients):
                with alert_at.get_lock():
                    if alert_at.value == 0:
                        alert_at.value = time.time()
                        counters[1] = counters[0]  # invitations at the sink when the alert arrived
            elif any(address.startswith("complainer-") for address in recipients):
                complainer_emails.put(bytes(envelope.original_content))
            else:
                with counters.get_lock():
                    counters[0] += 1
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
        self.counters = context.Array("q", [0, 0])  # invitations, invitations when the alert came
        self.alert_at = context.Value("d", 0.0)
        self.complainer_emails = context.Queue()
        ready = context.Event()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        self.process = context.Process(
            target=run_sink, args=(self.port, self.counters, self.alert_at, self.complainer_emails, ready)
        )
        self.process.start()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        if not ready.wait(15):
            raise SystemExit("The SMTP sink did not start.")

    @property
    def invitations(self) -> int:
        return self.counters[0]

    def reset_alert(self) -> None:
        with self.alert_at.get_lock():
            self.alert_at.value = 0.0

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


# --- One round ------------------------------------------------------------------------------
def feedback_link(raw_email: bytes) -> str:
    """The /f/<token>/ link of an invitation (its text part)."""
    message = message_from_bytes(raw_email)
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    return re.search(r"https?://\S+/f/[^/\s]+/", body).group(0)


def answer_one_star(base: str, link: str) -> float:
    """POST 1 star to the customer's link on our gunicorn; the wall-clock time it was answered."""
    path = urllib.parse.urlsplit(link).path
    form = urllib.parse.urlencode({"rating": "1", "comment": "Cold and late.", "display_name_choice": "anonymous"})
    request = urllib.request.Request(f"{base}{path}", data=form.encode(), method="POST")  # noqa: S310 (127.0.0.1)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    answered = time.time()
    try:
        urllib.request.build_opener(NoRedirect).open(request, timeout=30)  # noqa: S310 (127.0.0.1 only)
    except urllib.error.HTTPError as error:
        if error.code != 302:
            raise SystemExit(f"The answer was refused: {error.code} {error.read()[:500]!r}") from None
    return answered


def measure_round(base: str, key: str, sink: Sink, options, run_id: str) -> dict:
    status, answer = api_post(
        base, key, {"customer": {"name": "Cleo Complainer", "email": f"complainer-{run_id}@example.com"}}
    )
    if status != 201:
        raise SystemExit(f"POST answered {status}: {str(answer)[:2000]}")
    link = feedback_link(sink.complainer_emails.get(timeout=60))
    sink.reset_alert()
    before = sink.invitations
    started = time.perf_counter()
    for call in range(options.invitations // 1000):
        items = [
            {
                "customer": {"name": f"Customer {n}", "email": f"c-{run_id}-{n}@example.com"},
                "reference": f"{run_id}-{n}",
            }
            for n in range(call * 1000, (call + 1) * 1000)
        ]
        status, answer = api_post(base, key, items)
        if status != 201:
            raise SystemExit(f"POST answered {status}: {str(answer)[:2000]}")
    wait_until(lambda: sink.invitations - before >= options.answer_after, 120, "the campaign to be under way")
    sent_at_answer = sink.invitations - before
    answered = answer_one_star(base, link)
    wait_until(lambda: sink.alert_at.value, 120, "the owner's alert", step=0.01)
    alert_seconds = sink.alert_at.value - answered
    overtaken = sink.counters[1] - before - sent_at_answer
    wait_until(lambda: sink.invitations - before >= options.invitations, options.timeout, "every invitation")
    return {
        "alert_seconds": alert_seconds,
        "invitations_between_answer_and_alert": overtaken,
        "invitations_still_queued_at_the_alert": options.invitations - (sink.counters[1] - before),
        "drain_seconds": time.perf_counter() - started,
    }


# --- Set-up ---------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/raves_bench"),
        help="PostgreSQL database to use (created if missing, migrated). Default: %(default)s",
    )
    parser.add_argument("--invitations", type=int, default=20_000, help="The campaign (default 20,000)")
    parser.add_argument("--answer-after", type=int, default=2_000, help="Invitations delivered before the answer")
    parser.add_argument("--concurrency", type=int, default=4, help="Celery worker processes (default 4)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600, help="Seconds to wait for the campaign to drain")
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON too")
    options = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is needed (Debian: apt-get install redis-server).")
    workdir = Path(tempfile.mkdtemp(prefix="raves-bench-"))
    processes = Processes(workdir)
    sink = Sink()
    try:
        rounds = benchmark(options, workdir, processes, sink)
    finally:
        processes.stop_all()
        sink.stop()
        if options.keep_logs:
            print(f"Logs: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report(rounds, options)


def benchmark(options, workdir: Path, processes: Processes, sink: Sink) -> list[dict]:
    run_id = uuid.uuid4().hex[:8]
    redis_port, web_port = free_port(), free_port()
    ensure_database(options.database_url)
    env = production_env(options.database_url, workdir, redis_port=redis_port, smtp_port=sink.port)
    env.update(
        # One client address posts the whole campaign and answers: the limits are not under test.
        API_THROTTLE_RATE="1000000/min",
        TOKEN_LINK_LIMIT="1000000/min",
        FEEDBACK_DAILY_LIMIT="10000000",
    )
    redis_command = ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--dir", str(workdir)]
    processes.start("redis", redis_command + ["--save", "", "--appendonly", "no"], env)
    python = sys.executable
    run([python, "manage.py", "migrate", "--noinput"], env)
    slug = f"bench-{run_id}"
    owner = f"{slug}@{OWNER_DOMAIN}"
    run([python, "manage.py", "create_business", slug, "--name", "Complaint Cafe", "--owner-email", owner], env)
    key = run([python, "manage.py", "create_api_key", slug], env).strip().splitlines()[-1]
    base = f"http://127.0.0.1:{web_port}"
    gunicorn = [python, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{web_port}", "--workers", "2"]
    processes.start("gunicorn", gunicorn + ["--timeout", "120", "--no-control-socket"], env)
    node = f"bench-{run_id}@localhost"
    worker = [python, "-m", "celery", "-A", "config", "worker", "-Q", "alerts,bulk", "--pool=prefork"]
    worker += [f"--concurrency={options.concurrency}", "-l", "INFO", "--without-mingle", "--without-gossip"]
    processes.start("worker", [*worker, "-n", node], env)
    wait_until(lambda: answers(f"{base}/healthz"), 60, "gunicorn")
    wait_until(lambda: f"{node} ready." in processes.log("worker"), 60, "the Celery worker")
    rounds = []
    for number in range(options.rounds):
        vacuum(options.database_url)
        rounds.append(measure_round(base, key, sink, options, f"{run_id}-{number}"))
    return rounds


def report(rounds: list[dict], options) -> None:
    print(
        f"Machine: {os.cpu_count()} CPUs; gunicorn 2 workers; one Celery worker -Q alerts,bulk, concurrency "
        f"{options.concurrency}; PostgreSQL; Redis; aiosmtpd sink in its own process"
    )
    for number, figures in enumerate(rounds, start=1):
        print(
            f"Round {number}: the alert reached the owner {figures['alert_seconds']:.2f} s after the 1-star answer; "
            f"{figures['invitations_between_answer_and_alert']:,} invitations went in between, "
            f"{figures['invitations_still_queued_at_the_alert']:,} were still to go; "
            f"the {options.invitations:,} invitations drained in {figures['drain_seconds']:.1f} s"
        )
    median = statistics.median(figures["alert_seconds"] for figures in rounds)
    verdict = "meets" if median <= 10 else "misses"
    print(f"Alert latency, median of {len(rounds)} rounds: {median:.2f} s ({verdict} the 10 s target)")
    if options.json:
        print(json.dumps(rounds, indent=2))


if __name__ == "__main__":
    main()
