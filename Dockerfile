# One image for every Raves process: the web server (the default command), the Celery worker and
# the Celery scheduler (docker-compose.yml overrides the command for those two).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# The processes run as an unprivileged user. The code stays owned by root (read-only to the app);
# only var/ (the Celery beat schedule, the embedded defaults' local state) is writable.
RUN groupadd --system --gid 1000 raves \
    && useradd --system --uid 1000 --gid raves --create-home --home-dir /home/raves \
       --shell /usr/sbin/nologin raves

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image and served by whitenoise; the translations are compiled.
# The settings refuse to load without SECRET_KEY when DEBUG is false: a throwaway key is given to
# these commands only and is not kept in the image.
RUN SECRET_KEY=build-only DEBUG=false python manage.py collectstatic --noinput \
    && python scripts/compile_messages.py \
    && mkdir -p /app/var \
    && chown raves:raves /app/var

USER raves

EXPOSE 8000

# /healthz answers 200 when the database and the broker answer. The request carries the host of
# SITE_URL, because with DEBUG=false Django answers 400 to a Host that is not in ALLOWED_HOSTS
# (and 127.0.0.1 usually is not). /healthz is exempt from the HTTPS redirect.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.parse, urllib.request; host = urllib.parse.urlsplit(os.environ.get('SITE_URL') or 'http://localhost').netloc or 'localhost'; request = urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}); sys.exit(0 if urllib.request.urlopen(request, timeout=4).status == 200 else 1)"]

# The access log redacts link tokens (/f/<token>/) and URL credentials (core/log_redaction.py).
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", \
     "--logger-class", "core.log_redaction.RedactingGunicornLogger"]
