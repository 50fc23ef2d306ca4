"""docker-compose.yml and the Dockerfile: the services, their commands and their configuration.

No Docker daemon is needed. The names the settings read are taken from config/settings/base.py
itself, so a variable renamed there (or a typo here) fails this test instead of being silently
ignored by a container.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SETTINGS_FILE = ROOT / "config" / "settings" / "base.py"

APP_SERVICES = ("web", "worker", "alerts-worker", "beat")
# The configuration interface of PRODUCT.md.
PRODUCT_VARIABLES = {
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
}
# Enough for `docker-compose config` to interpolate the variables the file requires.
REQUIRED_ENV = {
    "SECRET_KEY": "compose-test-secret",
    "SITE_URL": "https://reviews.example.com",
    "ALLOWED_HOSTS": "reviews.example.com",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def settings_variables() -> set[str]:
    """Every name the settings read through `env.<method>("NAME"...)`."""
    names = set(re.findall(r"""\benv\.[a-z_]+\(\s*["']([A-Z][A-Z0-9_]*)["']""", SETTINGS_FILE.read_text()))
    assert {"SECRET_KEY", "DATABASE_URL", "SECURE_SSL_REDIRECT"} <= names, "the settings pattern found too little"
    return names


def environment(service: dict) -> dict[str, str]:
    value = service.get("environment") or {}
    if isinstance(value, list):  # the list form: ["NAME=value", "NAME"]
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in value)
    return {name: "" if setting is None else str(setting) for name, setting in value.items()}


def command_text(service: dict) -> str:
    command = service.get("command") or ""
    return " ".join(command) if isinstance(command, list) else command


def test_all_services_are_defined(services):
    assert {"web", "worker", "beat", "db", "redis", "mailpit"} <= set(services)


def test_beat_runs_exactly_one_replica(services):
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "scale" not in services["beat"]
    assert "only one scheduler" in COMPOSE_FILE.read_text().lower()


def test_mailpit_is_optional_behind_a_profile(services):
    mailpit = services["mailpit"]
    assert mailpit["image"].startswith("axllent/mailpit")
    assert mailpit.get("profiles"), "mailpit must only start with --profile"
    ports = " ".join(str(port) for port in mailpit.get("ports", []))
    assert "1025" in ports and "8025" in ports
    for name in APP_SERVICES:
        assert "mailpit" not in (services[name].get("depends_on") or {}), f"{name} cannot require an optional service"


def test_web_migrates_then_starts_gunicorn(services):
    command = command_text(services["web"])
    migrate = command.find("manage.py migrate --noinput")
    gunicorn = command.find("gunicorn config.wsgi")
    assert migrate != -1 and gunicorn != -1, command
    assert migrate < gunicorn, command
    assert "&&" in command[migrate:gunicorn], "gunicorn must not start when the migration fails"
    assert "0.0.0.0:8000" in command
    assert any(str(port).endswith(":8000") for port in services["web"]["ports"])


@pytest.mark.parametrize(("name", "role"), [("worker", "worker"), ("alerts-worker", "worker"), ("beat", "beat")])
def test_celery_services_use_the_project_app(services, name, role):
    command = command_text(services[name])
    assert re.match(rf"celery -A config {role}\b", command), command


def test_workers_take_complaint_alerts_before_the_bulk_and_one_serves_alerts_only(services):
    assert "-Q alerts,bulk" in command_text(services["worker"])
    assert "-Q alerts " in command_text(services["alerts-worker"]) + " "
    for name in ("worker", "alerts-worker"):  # `--scale worker=3` needs no fixed name or port
        assert "container_name" not in services[name] and "ports" not in services[name]


def test_app_services_set_only_variables_the_settings_read(services):
    read = settings_variables()
    for name in APP_SERVICES:
        unknown = set(environment(services[name])) - read
        assert not unknown, f"{name} sets variables the settings never read: {sorted(unknown)}"


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_services_set_the_product_configuration(services, name):
    missing = PRODUCT_VARIABLES - set(environment(services[name]))
    assert not missing, f"{name} does not set {sorted(missing)}"


def test_app_configuration_points_at_the_compose_services(services):
    for name in APP_SERVICES:
        env = environment(services[name])
        assert env["DEBUG"] == "false"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "SECRET_KEY must be required, never defaulted"
        assert env["DATABASE_URL"] == "postgres://raves:raves@db:5432/raves"
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "smtp://mailpit:1025" in env["EMAIL_URL"]
        for switch in ("SECURE_SSL_REDIRECT", "SECURE_COOKIES", "USE_X_FORWARDED_PROTO", "SECURE_HSTS_SECONDS"):
            assert switch in env, f"{name} does not set {switch}"


def test_app_services_wait_for_healthy_db_and_redis(services):
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        assert isinstance(depends_on, dict), f"{name}: the short depends_on form cannot wait for health"
        for dependency in ("db", "redis"):
            assert depends_on[dependency]["condition"] == "service_healthy", f"{name} -> {dependency}"


def test_db_and_redis_have_health_checks(services):
    assert services["db"]["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["redis"]["image"].startswith("redis:7")
    assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])


def test_postgres_data_is_kept_in_a_volume(compose, services):
    volumes = [str(volume) for volume in services["db"].get("volumes", [])]
    mounted = [volume.split(":", 1)[0] for volume in volumes if ":/var/lib/postgresql/data" in volume]
    assert mounted and mounted[0] in (compose.get("volumes") or {})


def test_dockerfile_installs_collects_and_serves():
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    assert "requirements.txt" in text
    assert "collectstatic --noinput" in text
    assert "config.wsgi" in text
    assert re.search(r"^USER (?!root\b)\S+", text, re.MULTILINE), "the image must not run as root"
    assert "EXPOSE 8000" in text
    assert "HEALTHCHECK" in text and "/healthz" in text


def _docker_compose(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    binary = shutil.which("docker-compose")
    require_service(binary is not None, "docker-compose")
    # An empty env file: a developer's .env must not fill in what the test leaves out.
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    base = {key: value for key, value in os.environ.items() if key not in PRODUCT_VARIABLES | set(REQUIRED_ENV)}
    return subprocess.run(
        [binary, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_docker_compose_validates_the_file(tmp_path):
    result = _docker_compose("config", "-q", env=REQUIRED_ENV, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_to_run_without_a_secret_key(tmp_path):
    env = {key: value for key, value in REQUIRED_ENV.items() if key != "SECRET_KEY"}
    result = _docker_compose("config", "-q", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
