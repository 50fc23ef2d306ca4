"""Benchmark: the owner's dashboard, the metrics API and the weekly digests on 1,000,000 answers.

    .venv/bin/python benchmarks/insights.py \
        --database-url postgres://postgres@127.0.0.1:5432/raves_bench_insights [--rebuild]

On PostgreSQL, in a database of its own (created when missing, dropped and built again with
`--rebuild`), it builds once, with COPY: 200 businesses holding 1,000,000 answers (Feedback rows)
to about 1.45 million feedback requests, sent over the last 15 weeks, with staff, internal
feedback, complaint cases and reviews. The sizes are skewed like real life; four businesses have
fixed sizes so the figures can be compared: "big" (50,000 answers), "20k" (20,000), "typical"
(5,000, the mean) and "500" (500).

Then it times (median of --runs runs, after one warm-up):
- the dashboard: the page through Django's test Client as the business's owner, and the selector
  `dashboard_for` alone, for "big" and "typical";
- GET /api/v1/metrics/ with the business's API key, for "big" and "typical";
- the digest run for all 200 businesses: `digests_send_due` (claim, build, queue) with every
  business due, then sending the queued emails with the outbox (locmem email backend);
and counts the queries of each per business, comparing "500" with "20k": they must not differ.
`--explain` prints EXPLAIN ANALYZE of the slowest dashboard queries of "big".

Targets: dashboard and metrics under 300 ms, the digest for 200 businesses under 60 s.
This is a script, not a test: it prints figures and asserts only that query counts do not grow.
"""

from __future__ import annotations

import argparse
import atexit
import io
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TOTAL_ANSWERS = 1_000_000
BUSINESS_COUNT = 200
WEEKS = 15
# Businesses with a fixed number of answers, measured by name; the other 196 share the rest.
FIXED = {"big": 50_000, "20k": 20_000, "typical": 5_000, "500": 500}
TIMEZONES = ["Europe/London", "America/New_York", "Europe/Paris", "Asia/Tokyo", "Australia/Sydney", "UTC"]
CHUNK = 100_000
TARGET_MS, DIGEST_TARGET_S = 300, 60
CHURN_DAYS = 3


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), help="postgres://…/<name>")
    parser.add_argument("--rebuild", action="store_true", help="Drop the database and build the data again.")
    parser.add_argument("--runs", type=int, default=7, help="Timed runs per measure (the median is reported).")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest dashboard queries.")
    parser.add_argument("--skip-digest", action="store_true", help="Time the dashboard and metrics only.")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url (or DATABASE_URL) must name a PostgreSQL database.")
    return args


# --- The database of its own ---------------------------------------------------------------------


def ensure_database(url: str, *, rebuild: bool) -> None:
    """Create the database when missing; with `rebuild`, drop it first."""
    import psycopg2

    name = urlsplit(url).path.lstrip("/")
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    connection = psycopg2.connect(maintenance)
    connection.autocommit = True
    with connection.cursor() as cursor:
        if rebuild:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # locmem cache; the Celery broker in a folder of our own
    var_dir = tempfile.mkdtemp(prefix="raves-bench-insights-")
    atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    os.environ["RAVES_VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"  # locmem email, fast hashing
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- Building the data with COPY -----------------------------------------------------------------


def _encode(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        value = json.dumps(value)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def copy_rows(model, columns: list[str], rows: Iterable[tuple]) -> int:
    """COPY rows into a model's table; every column not given takes the field's default.

    A NOT NULL column without a default that is not given stops the build, naming the field, so a
    model that gains one fails loudly instead of loading wrong data.
    """
    from django.db import connection

    fields = {field.attname: field for field in model._meta.concrete_fields}
    unknown = set(columns) - set(fields)
    if unknown:
        raise SystemExit(f"{model.__name__} has no field {sorted(unknown)}")
    # An id not given comes from its sequence.
    rest = [field for name, field in fields.items() if name not in columns and not field.primary_key]
    missing = [field.attname for field in rest if field.get_default() is None and not field.null]
    if missing:
        raise SystemExit(f"{model.__name__}: give a value for {missing} (NOT NULL, no default)")
    all_columns = [fields[name].column for name in columns] + [field.column for field in rest]
    tail = "".join("\t" + _encode(field.get_default()) for field in rest) + "\n"
    sql = f"COPY {model._meta.db_table} ({', '.join(all_columns)}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor:
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(map(_encode, row)) + tail)
            count += 1
            if count % CHUNK == 0:
                buffer.seek(0)
                cursor.copy_expert(sql, buffer)
                buffer = io.StringIO()
        buffer.seek(0)
        cursor.copy_expert(sql, buffer)
    return count


def business_sizes(rng: random.Random) -> list[int]:
    """Answers per business: the fixed ones first, the rest skewed (log-normal) to make 1,000,000."""
    rest_total = TOTAL_ANSWERS - sum(FIXED.values())
    weights = [rng.lognormvariate(0, 0.9) for _ in range(BUSINESS_COUNT - len(FIXED))]
    sizes = [max(200, round(rest_total * weight / sum(weights))) for weight in weights]
    sizes[-1] += rest_total - sum(sizes)
    return list(FIXED.values()) + sizes


def build(now: datetime) -> None:
    from django.db import connection, transaction

    rng = random.Random(6)
    started = time.monotonic()
    sizes = business_sizes(rng)
    with transaction.atomic():
        businesses = _businesses(sizes)
        staff = _staff(businesses, sizes)
        plan = [_plan(rng, business, answers) for business, answers in zip(businesses, sizes, strict=True)]
        _customers(plan, now)
        answered = _requests(rng, plan, staff, now)
        cases = _answers(rng, answered, staff)
        _cases(rng, cases, now)
        _owners(businesses)
    with connection.cursor() as cursor:
        # Ids were given to COPY: the sequences must go on from the largest.
        for sql in connection.ops.sequence_reset_sql(_no_style(), _models()):
            cursor.execute(sql)
        # What autovacuum would have done by the time a real database held this much.
        cursor.execute("VACUUM ANALYZE")
    print(f"Built in {time.monotonic() - started:.0f} s.", flush=True)


def _no_style():
    from django.core.management.color import no_style

    return no_style()


def _models() -> list:
    from businesses.models import Customer
    from feedback.models import Feedback, FeedbackRequest
    from reviews.models import Case, Review

    return [Customer, FeedbackRequest, Feedback, Review, Case]


def _businesses(sizes: list[int]) -> list:
    from businesses.models import Business

    names = list(FIXED) + [f"{n:03d}" for n in range(len(FIXED), BUSINESS_COUNT)]
    return Business.objects.bulk_create(
        Business(
            name=f"Bench {name}",
            slug=f"bench-{name}",
            timezone=TIMEZONES[index % len(TIMEZONES)],
            ask_recommend_score=index % 5 != 4,
        )
        for index, name in enumerate(names)
    )


def _staff(businesses: list, sizes: list[int]) -> dict[int, list[int]]:
    from businesses.models import StaffMember

    members = StaffMember.objects.bulk_create(
        StaffMember(
            business=business,
            name=f"Staff {n} of {business.slug}",
            email=f"staff{n}@{business.slug}.example",
            wants_digest=n % 7 != 6,
        )
        for business, answers in zip(businesses, sizes, strict=True)
        for n in range(min(30, 3 + answers // 2000))
    )
    by_business: dict[int, list[int]] = {}
    for member in members:
        by_business.setdefault(member.business_id, []).append(member.pk)
    return by_business


def _plan(rng: random.Random, business, answers: int) -> dict:
    rate = 0.7 if business.name.removeprefix("Bench ") in FIXED else rng.uniform(0.55, 0.85)
    requests = round(answers / rate)
    return {"business": business, "answers": answers, "requests": requests, "customers": math.ceil(requests / 2)}


def _customers(plan: list[dict], now: datetime) -> None:
    from businesses.models import Customer

    next_id = 1
    for item in plan:
        item["first_customer"] = next_id
        next_id += item["customers"]
    joined = now - timedelta(weeks=WEEKS + 2)
    count = copy_rows(
        Customer,
        ["id", "business_id", "name", "email", "external_id", "created_at"],
        (
            (
                item["first_customer"] + n,
                item["business"].pk,
                f"Customer {n}",
                f"customer{n}@{item['business'].slug}.example",
                f"CRM-{n}",
                joined,
            )
            for item in plan
            for n in range(item["customers"])
        ),
    )
    print(f"  {count:,} customers", flush=True)


REQUEST_COLUMNS = [
    "id",
    "business_id",
    "customer_id",
    "staff_id",
    "interaction_at",
    "reference",
    "internal",
    "status",
    "suppression_reason",
    "token_salt",
    "feedback_token_hash",
    "unsubscribe_token_hash",
    "created_at",
    "sent_at",
    "reminder_due_at",
    "reminded_at",
    "responded_at",
    "suppressed_at",
    "expires_at",
    "expired_at",
]


def _requests(rng: random.Random, plan: list[dict], staff: dict[int, list[int]], now: datetime) -> list[tuple]:
    """Every request, in the order they were created across all businesses (as a real table fills up,
    so one business's rows are spread over the whole table); returns what the answers need."""
    from feedback.models import FeedbackRequest

    Status = FeedbackRequest.Status
    span = WEEKS * 7 * 86400
    planned: list[tuple] = []
    for item in plan:
        business_id = item["business"].pk
        members = staff[business_id]
        internal_share = 0.0 if business_id % 4 == 0 else 0.05
        for n in range(item["requests"]):
            sent = now - timedelta(seconds=rng.uniform(600, span))
            served_by = rng.choice(members) if rng.random() < 0.7 else None
            internal = rng.random() < internal_share
            steps = _steps(rng, sent, now, answer=n < item["answers"], Status=Status)
            customer = item["first_customer"] + n // 2
            created = sent - timedelta(minutes=1)
            planned.append((created, sent, business_id, customer, served_by, f"order-{n}", internal, steps))
        # A few were never sent: the customer was asked within the quiet period.
        for n in range(item["requests"] // 50):
            created = now - timedelta(seconds=rng.uniform(600, span))
            steps = {"status": Status.SUPPRESSED, "suppressed_at": created}
            planned.append((created, None, business_id, item["first_customer"] + n, None, f"quiet-{n}", False, steps))
    planned.sort(key=lambda request: request[0])
    answered = [
        (request_id, business_id, customer, served_by, internal, steps)
        for request_id, (_, _, business_id, customer, served_by, _, internal, steps) in enumerate(planned, 1)
        if steps["status"] == Status.RESPONDED
    ]

    def rows() -> Iterator[tuple]:
        for request_id, (created, sent, business_id, customer, served_by, reference, internal, steps) in enumerate(
            planned, 1
        ):
            yield (
                request_id,
                business_id,
                customer,
                served_by,
                (sent or created) - timedelta(hours=2),
                reference,
                internal,
                steps["status"],
                FeedbackRequest.SuppressionReason.QUIET_PERIOD if sent is None else "",
                f"{rng.getrandbits(128):032x}",
                f"{rng.getrandbits(256):064x}",
                f"{rng.getrandbits(256):064x}",
                created,
                sent,
                steps.get("reminder_due_at"),
                steps.get("reminded_at"),
                steps.get("responded_at"),
                steps.get("suppressed_at"),
                sent + timedelta(days=30) if sent else None,
                steps.get("expired_at"),
            )

    count = copy_rows(FeedbackRequest, REQUEST_COLUMNS, rows())
    print(f"  {count:,} feedback requests", flush=True)
    planned.clear()
    # Answers arrive in the order customers gave them.
    return sorted(answered, key=lambda answer: answer[5]["responded_at"])


def _steps(rng: random.Random, sent: datetime, now: datetime, *, answer: bool, Status) -> dict:  # noqa: N803
    if answer:
        responded = min(now - timedelta(seconds=60), sent + timedelta(hours=rng.expovariate(1 / 10)))
        return {"status": Status.RESPONDED, "responded_at": responded}
    reminder = sent + timedelta(days=3)
    if reminder > now:
        return {"status": Status.SENT, "reminder_due_at": reminder}
    if sent + timedelta(days=30) > now:
        return {"status": Status.REMINDED, "reminded_at": reminder}
    return {"status": Status.EXPIRED, "reminded_at": reminder, "expired_at": sent + timedelta(days=30)}


COMMENTS = {
    5: ["Wonderful, thank you!", "Quick, warm and spotless.", "Best service in town."],
    4: ["Good, a bit of a queue.", "Friendly staff, nice place."],
    3: ["Fine, nothing special.", "Slow on Saturday."],
    2: ["Waited too long and the order was wrong."],
    1: ["Rude at the till.", ""],
}
IDEAS = ["Open earlier on weekdays.", "A loyalty card would be nice.", "More seats outside."]


def _answers(rng: random.Random, answered: list[tuple], staff: dict[int, list[int]]) -> list[tuple]:
    """Feedback for every answered request, and a review for those who consented; returns the complaints."""
    from feedback.models import Feedback
    from reviews.models import Review

    cases: list[tuple] = []
    reviews: list[tuple] = []

    def rows() -> Iterator[tuple]:
        for feedback_id, (request_id, business_id, customer_id, served_by, internal, steps) in enumerate(answered, 1):
            rating = rng.choices([5, 4, 3, 2, 1], weights=[50, 25, 12, 8, 5])[0]
            named = served_by if served_by and rng.random() < 0.6 else None
            consent = not internal and rng.random() < 0.6
            at = steps["responded_at"]
            score = min(10, max(0, rating * 2 + rng.choice([-1, 0, 0, 1]))) if rng.random() < 0.8 else None
            if rating <= 2 and not internal:
                cases.append((feedback_id, business_id, rating, at))
            if consent:
                reviews.append((feedback_id, business_id, at))
            yield (
                feedback_id,
                request_id,
                business_id,
                customer_id,
                named,
                internal,
                rating,
                rng.choice(COMMENTS[rating]),
                rng.choice(IDEAS) if rng.random() < 0.15 else "",
                score,
                consent,
                "You may publish my answer." if consent else "",
                at if consent else None,
                f"Customer {customer_id % 1000}.",
                at,
                at,
                at + timedelta(days=7),
            )

    columns = [
        "id",
        "request_id",
        "business_id",
        "customer_id",
        "staff_id",
        "internal",
        "rating",
        "comment",
        "improvement",
        "recommend_score",
        "consent_to_publish",
        "consent_text",
        "consent_at",
        "display_name",
        "submitted_at",
        "updated_at",
        "editable_until",
    ]
    print(f"  {copy_rows(Feedback, columns, rows()):,} answers (feedback)", flush=True)
    statuses = [Review.Status.PUBLISHED] * 16 + [Review.Status.PENDING] * 3 + [Review.Status.REJECTED]

    def review_rows() -> Iterator[tuple]:
        for feedback_id, business_id, at in reviews:
            status = rng.choice(statuses)
            reason = Review.RejectionReason.UNRELATED_OR_SPAM if status == Review.Status.REJECTED else ""
            published = at + timedelta(hours=5) if status == Review.Status.PUBLISHED else None
            yield feedback_id, business_id, status, reason, at, published

    count = copy_rows(
        Review,
        ["feedback_id", "business_id", "status", "rejection_reason", "created_at", "published_at"],
        review_rows(),
    )
    print(f"  {count:,} reviews", flush=True)
    return cases


def _cases(rng: random.Random, cases: list[tuple], now: datetime) -> None:
    from reviews.models import Case

    def rows() -> Iterator[tuple]:
        for feedback_id, business_id, rating, opened in cases:
            first = opened + timedelta(minutes=rng.expovariate(1 / 240)) if rng.random() < 0.85 else None
            first = first if first and first < now else None
            resolved = first + timedelta(hours=rng.uniform(1, 72)) if first and rng.random() < 0.8 else None
            resolved = resolved if resolved and resolved < now else None
            status = Case.Status.RESOLVED if resolved else (Case.Status.CONTACTED if first else Case.Status.OPEN)
            yield (
                feedback_id,
                business_id,
                status,
                opened,
                opened + timedelta(hours=24),
                first,
                resolved,
                "Called the customer and refunded the order." if resolved else "",
                rating,
            )

    columns = [
        "feedback_id",
        "business_id",
        "status",
        "opened_at",
        "deadline",
        "first_response_at",
        "resolved_at",
        "resolution",
        "original_rating",
    ]
    print(f"  {copy_rows(Case, columns, rows()):,} complaint cases", flush=True)


def _owners(businesses: list) -> None:
    from django.contrib.auth import get_user_model

    from businesses.models import Membership

    for business in businesses[: len(FIXED)]:
        user = get_user_model().objects.create_user(
            username=f"owner@{business.slug}.example", email=f"owner@{business.slug}.example", is_staff=True
        )
        Membership.objects.create(user=user, business=business, role=Membership.Role.OWNER)


# --- Measuring ------------------------------------------------------------------------------------


def timed(fn: Callable[[], object], runs: int) -> dict:
    """Median, min and max of `runs` calls after one warm-up, in milliseconds."""
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}


def query_count(fn: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


class Subject:
    """One measured business: its owner's logged-in client and an API client with its key."""

    def __init__(self, name: str) -> None:
        from django.test import Client
        from rest_framework.test import APIClient

        from businesses.models import Business, BusinessAPIKey, Membership

        self.name = name
        self.business = Business.objects.get(slug=f"bench-{name}")
        self.answers = self.business.feedback.count()
        self.requests = self.business.feedback_requests.count()
        self.client = Client()
        self.client.force_login(Membership.objects.get(business=self.business).user)
        BusinessAPIKey.objects.filter(business=self.business).delete()
        _, key = BusinessAPIKey.objects.create_key(name="bench", business=self.business)
        self.api = APIClient()
        self.api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    def dashboard_page(self) -> None:
        response = self.client.get("/admin/dashboard/")
        assert response.status_code == 200, response.status_code

    def dashboard_selector(self) -> None:
        from insights.dashboard import dashboard_for, default_period

        since, until = default_period(self.business)
        dashboard = dashboard_for(business=self.business, since=since, until=until)
        dashboard.charts  # noqa: B018 — drawn in the page too

    def metrics(self) -> None:
        response = self.api.get("/api/v1/metrics/")
        assert response.status_code == 200, response.status_code


def measure_dashboard_and_metrics(runs: int) -> dict:
    subjects = {name: Subject(name) for name in FIXED}
    results: dict = {"sizes": {}, "timings": {}, "queries": {}}
    for name, subject in subjects.items():
        results["sizes"][name] = {"answers": subject.answers, "requests": subject.requests}
    for name in ("big", "typical"):
        subject = subjects[name]
        for measure in ("dashboard_page", "dashboard_selector", "metrics"):
            results["timings"][(name, measure)] = timed(getattr(subject, measure), runs)
            print(f"  {name:8} {measure:19} {_fmt(results['timings'][(name, measure)])}", flush=True)
    for name, subject in subjects.items():
        results["queries"][name] = {
            measure: query_count(getattr(subject, measure)) for measure in ("dashboard_page", "metrics")
        }
    return results


def _fmt(timing: dict) -> str:
    return f"median {timing['median']:7.1f} ms (min {timing['min']:.1f}, max {timing['max']:.1f})"


def explain_slowest(name: str = "big", top: int = 3) -> None:
    """The dashboard's slowest queries for one business, with their plans."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    subject = Subject(name)
    subject.dashboard_selector()
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        subject.dashboard_selector()
    print(f"\nThe dashboard's {len(captured.captured_queries)} queries for {name}:")
    for query in captured.captured_queries:
        print(f"  {float(query['time']) * 1000:6.1f} ms  {query['sql'][:110]}")
    slowest = sorted(captured.captured_queries, key=lambda query: -float(query["time"]))[:top]
    with connection.cursor() as cursor:
        for query in slowest:
            print(f"\n-- {float(query['time']) * 1000:.1f} ms\n{query['sql'][:600]}")
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            print("\n".join(row[0] for row in cursor.fetchall()))


def vacuum() -> None:
    """The steady state autovacuum keeps: dead rows gone, statistics fresh, settled pages all-visible."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def churn_recent(*, days: int) -> int:
    """Update the last days' requests and answers, as sending, reminding and answering do all day.

    Their pages are then not all-visible until autovacuum passes, so index-only scans must visit
    the table for them: the honest case for a dashboard that mostly reads recent weeks.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE feedback_feedbackrequest SET status = status WHERE sent_at > now() - make_interval(days => %s)",
            [days],
        )
        touched = cursor.rowcount
        cursor.execute(
            "UPDATE feedback_feedback SET updated_at = now() WHERE submitted_at > now() - make_interval(days => %s)",
            [days],
        )
        return touched + cursor.rowcount


def measure_digest() -> dict:
    """Every business due at once: claim, build and queue each digest, then send the emails (locmem)."""
    from zoneinfo import ZoneInfo

    from django.core import mail
    from django.utils import timezone

    from businesses.models import Business
    from insights.models import DigestRun
    from insights.periods import scheduled_week
    from insights.services.digest import digest_build, digests_send_due
    from outbox.models import OutboxEmail
    from outbox.services import outbox_emails_send

    now = timezone.now()
    DigestRun.objects.all().delete()
    OutboxEmail.objects.filter(key__startswith="digest:").delete()
    for business in Business.objects.all():
        local = now.astimezone(ZoneInfo(business.timezone))
        Business.objects.filter(pk=business.pk).update(digest_weekday=local.weekday(), digest_hour=0)
    mail.outbox = []

    started = time.perf_counter()
    outcomes = digests_send_due(now=now)
    queued = time.perf_counter() - started
    email_ids = [email_id for outcome in outcomes for email_id in outcome.email_ids or []]
    started = time.perf_counter()
    sent = outbox_emails_send(email_ids=email_ids)
    sending = time.perf_counter() - started
    started = time.perf_counter()
    again = digests_send_due(now=now)
    rerun = time.perf_counter() - started

    failed = [outcome for outcome in outcomes if outcome.error]
    queries = {}
    for name in ("500", "20k"):
        business = Business.objects.get(slug=f"bench-{name}")
        week = scheduled_week(business, now)
        queries[name] = query_count(lambda business=business, week=week: digest_build(business=business, week=week))
    return {
        "businesses": len(outcomes),
        "failed": len(failed),
        "emails_queued": len(email_ids),
        "emails_sent": sent,
        "emails_in_locmem": len(mail.outbox),
        "queue_s": queued,
        "send_s": sending,
        "total_s": queued + sending,
        "rerun_sent": sum(1 for outcome in again if outcome.sent),
        "rerun_s": rerun,
        "build_queries": queries,
    }


def main() -> None:
    args = parse_args()
    ensure_database(args.database_url, rebuild=args.rebuild)
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.utils import timezone

    from businesses.models import Business

    call_command("migrate", verbosity=0)
    if Business.objects.filter(slug__startswith="bench-").count() != BUSINESS_COUNT:
        if Business.objects.exists():
            raise SystemExit("The database holds other data; run with --rebuild to start again.")
        print("Building the data (once; --rebuild builds it again)…", flush=True)
        build(timezone.now())
    else:
        print("Reusing the data built before (use --rebuild to build it again).", flush=True)

    from feedback.models import Feedback, FeedbackRequest

    print(
        f"Data: {Business.objects.count()} businesses, {FeedbackRequest.objects.count():,} requests, "
        f"{Feedback.objects.count():,} answers.",
        flush=True,
    )
    vacuum()
    print(f"\nDashboard and metrics, every page vacuumed (median of {args.runs} runs):", flush=True)
    results = measure_dashboard_and_metrics(args.runs)
    for name, size in results["sizes"].items():
        print(f"  {name:8} {size['answers']:>7,} answers  queries: {results['queries'][name]}")
    if args.explain:
        explain_slowest()
    missed = [key for key, timing in results["timings"].items() if timing["median"] >= TARGET_MS]
    grows = results["queries"]["500"] != results["queries"]["20k"]

    touched = churn_recent(days=CHURN_DAYS)
    print(
        f"\nAgain, after updating the {touched:,} requests and answers of the last {CHURN_DAYS} days "
        f"(not vacuumed yet, as in a live database):",
        flush=True,
    )
    churned = measure_dashboard_and_metrics(args.runs)
    missed += [("churned", *key) for key, timing in churned["timings"].items() if timing["median"] >= TARGET_MS]

    if not args.skip_digest:
        print("\nDigest for every business:", flush=True)
        digest = measure_digest()
        for key, value in digest.items():
            print(f"  {key:17} {round(value, 2) if isinstance(value, float) else value}")
        grows = grows or digest["build_queries"]["500"] != digest["build_queries"]["20k"]
        if digest["total_s"] >= DIGEST_TARGET_S or digest["failed"] or digest["rerun_sent"]:
            missed.append(("digest", "all"))

    print("\nTargets:", "missed " + str(missed) if missed else "all met", flush=True)
    if grows:
        raise SystemExit("Query counts grow with the amount of feedback (see above).")


if __name__ == "__main__":
    main()
