# Production image: the app and its runtime requirements only (no mongod, no test tools).
# Targets: `app` (the default, last stage: web and `os-sync run`) and `os-standin` (the stand-in
# OS service for docker-compose.yml; not for production).

# htmx, its SSE extension and SortableJS from the npm lock file, copied as they are.
FROM node:22-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
    && mkdir -p vendor \
    && cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/dist/ext/hx-sse.min.js \
          node_modules/sortablejs/Sortable.min.js vendor/

FROM python:3.11-slim-bookworm AS base
# PROMETHEUS_MULTIPROC_DIR: gunicorn's workers share their metrics through files there
# (webapp/metrics.py); /tmp is the one writable place (an emptyDir on Kubernetes).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
WORKDIR /app
COPY requirements.txt .
# Every package pinned and checked against its hash (requirements.txt is compiled by pip-tools).
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.txt
# A fixed numeric id: Kubernetes' runAsNonRoot can check it and volumes can be owned by it.
RUN groupadd --system --gid 10001 oficina \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin oficina

FROM base AS os-standin
COPY scripts/os_standin.py scripts/
USER 10001:10001
EXPOSE 8003
CMD ["python", "scripts/os_standin.py", "--host", "0.0.0.0", "--port", "8003"]

FROM base AS app
ENV APP_ENV=production HOST=0.0.0.0 PORT=8002
COPY webapp/ webapp/
COPY templates/ templates/
COPY static/ static/
COPY --from=assets /src/vendor/ static/vendor/
COPY wsgi.py gunicorn.conf.py ./
USER 10001:10001
EXPOSE 8002
# Liveness only (no database); honours PORT when it is overridden at run time.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8002'), timeout=2)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
