"""Configuration from the environment: a malformed value stops start-up and names its variable.

The start-up tests run Django in a child process with a clean environment (only the variables
given), from the project root, so nothing of the developer's or CI's environment leaks in.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.env import Env

ROOT = Path(__file__).resolve().parent.parent
SETUP = (
    "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
)
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "raves.example.com",
    "SITE_URL": "https://raves.example.com",
}


def run_django(*args: str, **variables: str) -> subprocess.CompletedProcess:
    """Run `python <args>` with the base settings and only `variables` set (plus PATH and HOME)."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    env.update(variables)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def start_django(**variables: str) -> subprocess.CompletedProcess:
    return run_django("-c", SETUP, **variables)


def assert_refused(result: subprocess.CompletedProcess, name: str) -> None:
    assert result.returncode != 0, result.stdout
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured"), result.stderr
    assert name in last_line, result.stderr


def case_id(variables: dict[str, str]) -> str:
    return "-".join(f"{name}={value}" for name, value in variables.items()) or "nothing-set"


# --- Start-up in a child process ------------------------------------------------------------


def test_it_starts_in_debug_with_nothing_else_set_on_sqlite():
    result = start_django(DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "true", "DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"DEBUG": "true", "DATABASE_URL": "postgres://u@h:notaport/db"}, "DATABASE_URL"),
        ({"DEBUG": "true", "DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
        ({"DEBUG": "true", "REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"DEBUG": "true", "REDIS_URL": "redis://127.0.0.1:notaport/0"}, "REDIS_URL"),
        ({"DEBUG": "true", "EMAIL_URL": "bogus"}, "EMAIL_URL"),
        ({"DEBUG": "true", "EMAIL_URL": "smtp://mail.example:notaport"}, "EMAIL_URL"),
        ({"DEBUG": "true", "SECURE_HSTS_SECONDS": "abc"}, "SECURE_HSTS_SECONDS"),
        ({"DEBUG": "true", "SECURE_HSTS_SECONDS": "-1"}, "SECURE_HSTS_SECONDS"),
        ({"DEBUG": "true", "SITE_URL": "raves.example.com"}, "SITE_URL"),
        ({"DEBUG": "true", "CELERY_WORKER_CONCURRENCY": "many"}, "CELERY_WORKER_CONCURRENCY"),
        ({"DEBUG": "true", "CELERY_WORKER_CONCURRENCY": "0"}, "CELERY_WORKER_CONCURRENCY"),
        ({"DEBUG": "true", "WEBHOOKS_ALLOWED_PRIVATE_TARGETS": "127.0.0.1"}, "WEBHOOKS_ALLOWED_PRIVATE_TARGETS"),
        (
            {"DEBUG": "true", "WEBHOOKS_ALLOWED_PRIVATE_TARGETS": "127.0.0.1:8001,::1:80"},
            "WEBHOOKS_ALLOWED_PRIVATE_TARGETS",
        ),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({}, "SECRET_KEY"),
    ],
    ids=lambda value: case_id(value) if isinstance(value, dict) else value,
)
def test_it_refuses_to_start_and_names_the_variable(variables, named):
    assert_refused(start_django(**variables), named)


WORKER_CONCURRENCY = (
    "import django; django.setup(); from config.celery_app import app; print(app.conf.worker_concurrency)"
)


def test_a_worker_runs_two_processes_per_core_unless_told_otherwise(tmp_path):
    default = run_django("-c", WORKER_CONCURRENCY, DEBUG="true", RAVES_VAR_DIR=str(tmp_path))
    chosen = run_django(
        "-c", WORKER_CONCURRENCY, DEBUG="true", RAVES_VAR_DIR=str(tmp_path), CELERY_WORKER_CONCURRENCY="3"
    )

    assert default.returncode == 0 and chosen.returncode == 0, default.stderr + chosen.stderr
    assert int(default.stdout) == 2 * os.cpu_count()
    assert int(chosen.stdout) == 3


def test_a_malformed_database_url_does_not_print_its_password():
    result = start_django(DEBUG="true", DATABASE_URL="postgres://raves:hunter2-secret@db:54x2/raves")

    assert_refused(result, "DATABASE_URL")
    assert "hunter2-secret" not in result.stderr
    assert "raves:***@db" in result.stderr


def test_a_malformed_redis_url_does_not_print_its_password():
    result = start_django(DEBUG="true", REDIS_URL="http://:hunter2-secret@redis:6379/0")

    assert_refused(result, "REDIS_URL")
    assert "hunter2-secret" not in result.stderr


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = run_django(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        RAVES_VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_checks_fail_without_the_https_redirect(tmp_path):
    result = run_django(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        RAVES_VAR_DIR=str(tmp_path),
    )

    assert result.returncode != 0
    assert "security.W008" in result.stderr


# --- The typed reader -----------------------------------------------------------------------


@pytest.mark.parametrize("word", ["1", "true", "True", "YES", "on", " true "])
def test_bool_reads_the_true_words(word):
    assert Env({"FLAG": word}).bool("FLAG") is True


@pytest.mark.parametrize("word", ["0", "false", "FALSE", "no", "Off"])
def test_bool_reads_the_false_words(word):
    assert Env({"FLAG": word}).bool("FLAG") is False


@pytest.mark.parametrize("word", ["maybe", "flase", "2", "y"])
def test_bool_refuses_other_words_and_names_the_variable(word):
    with pytest.raises(ImproperlyConfigured, match=r"^FLAG must be true or false"):
        Env({"FLAG": word}).bool("FLAG")


@pytest.mark.parametrize("source", [{}, {"FLAG": ""}, {"FLAG": "   "}])
def test_an_unset_or_blank_variable_takes_the_default(source):
    env = Env(source)

    assert env.bool("FLAG", True) is True
    assert env.int("FLAG", 7) == 7
    assert env.list("FLAG", ["a"]) == ["a"]
    assert env.str("FLAG", "x") == "x"


def test_a_required_variable_without_a_default_is_named():
    with pytest.raises(ImproperlyConfigured, match=r"^SECRET_KEY is required"):
        Env({}).str("SECRET_KEY")
    with pytest.raises(ImproperlyConfigured, match=r"^WORKERS is required"):
        Env({}).int("WORKERS")


def test_int_reads_whole_numbers_and_enforces_the_minimum():
    assert Env({"N": "42"}).int("N", minimum=0) == 42
    assert Env({"N": "0"}).int("N", minimum=0) == 0
    with pytest.raises(ImproperlyConfigured, match=r"^N must be at least 0, got -1"):
        Env({"N": "-1"}).int("N", minimum=0)
    with pytest.raises(ImproperlyConfigured, match=r"^N must be a whole number; got '1.5'"):
        Env({"N": "1.5"}).int("N")


def test_host_ports_reads_host_port_pairs_and_refuses_malformed_entries():
    env = Env({"TARGETS": "127.0.0.1:8001, [::1]:8002,Receiver:80,"})
    assert env.host_ports("TARGETS") == [("127.0.0.1", 8001), ("::1", 8002), ("receiver", 80)]
    for malformed in ["127.0.0.1", "::1:80", "host:0", "host:65536", "[nonsense]:80", ":80", "host:http"]:
        with pytest.raises(ImproperlyConfigured, match="TARGETS must be a comma-separated list of host:port"):
            Env({"TARGETS": malformed}).host_ports("TARGETS")


def test_list_splits_on_commas_and_drops_blanks():
    hosts = Env({"HOSTS": " a.example, b.example,,c.example , "}).list("HOSTS")

    assert hosts == ["a.example", "b.example", "c.example"]
    assert Env({"HOSTS": "one"}).list("HOSTS") == ["one"]


def test_url_checks_the_scheme_and_the_port():
    env = Env({"GOOD": "redis://127.0.0.1:6379/0", "SCHEME": "http://x", "PORT": "redis://h:abc/0", "BARE": "redis://"})

    assert env.url("GOOD", schemes=("redis",)) == "redis://127.0.0.1:6379/0"
    with pytest.raises(ImproperlyConfigured, match=r"^SCHEME must be a URL starting with redis://"):
        env.url("SCHEME", schemes=("redis",))
    with pytest.raises(ImproperlyConfigured, match=r"^PORT has a port that is not a number"):
        env.url("PORT", schemes=("redis",))
    with pytest.raises(ImproperlyConfigured, match=r"^BARE must be a URL"):
        env.url("BARE", schemes=("redis",))


def test_url_accepts_the_schemes_that_need_no_location():
    assert Env({"EMAIL_URL": "consolemail://"}).email("EMAIL_URL", "smtp://x")["EMAIL_BACKEND"] == (
        "django.core.mail.backends.console.EmailBackend"
    )


def test_database_reads_postgres_and_sqlite_urls():
    env = Env({"PG": "postgres://raves:secret@db.internal:5433/raves", "LITE": "sqlite:////tmp/raves.sqlite3"})

    postgres = env.database("PG", "sqlite://")
    sqlite = env.database("LITE", "sqlite://")

    assert (postgres["ENGINE"], postgres["HOST"], postgres["PORT"], postgres["NAME"]) == (
        "django.db.backends.postgresql",
        "db.internal",
        5433,
        "raves",
    )
    assert (sqlite["ENGINE"], sqlite["NAME"]) == ("django.db.backends.sqlite3", "/tmp/raves.sqlite3")
