# syntax=docker/dockerfile:1
# One image for every factcheck process: web (gunicorn, the default command), Celery worker,
# Celery beat and one-off manage.py commands. docker-compose.yml wires them together.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=factcheck.settings \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app

# Dependencies first, pinned by constraints.txt: this layer is rebuilt only when
# pyproject.toml or constraints.txt change.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -c constraints.txt -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The project itself (editable, so that BASE_DIR, seeds/ and manage.py stay in /app).
# Static files are collected at build time (WhiteNoise serves them): the throwaway
# SECRET_KEY and REDIS_URL only let the settings load; nothing connects anywhere.
COPY . .
RUN pip install --no-deps -c constraints.txt -e . \
 && DEBUG=0 SECRET_KEY=build-only-not-secret REDIS_URL=redis://unused:6379/0 \
    python manage.py collectstatic --noinput -v 0 \
 && useradd --system --uid 10001 --home-dir /app --no-create-home factcheck \
 && mkdir -p /app/var \
 && chown factcheck /app/var

USER factcheck
EXPOSE 8000

# --timeout 300: a sync worker streaming an export is not heartbeating, and gunicorn's default
# 30 s would kill it mid-body (README, "Exports"): the FEVER export of 100,000 published claims
# streams in well under that; its last line tells a client the export is whole.
CMD ["gunicorn", "factcheck.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-", "--graceful-timeout", "20", "--timeout", "300", \
     "--no-control-socket"]
