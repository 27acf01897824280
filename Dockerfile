# Production image: the app and its runtime requirements only (no mongod, no test tools).
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
    && mkdir -p vendor \
    && cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/dist/ext/hx-sse.min.js \
          node_modules/sortablejs/Sortable.min.js vendor/

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    APP_ENV=production HOST=0.0.0.0 PORT=8002
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY webapp/ webapp/
COPY templates/ templates/
COPY static/ static/
COPY --from=assets /src/vendor/ static/vendor/
COPY wsgi.py gunicorn.conf.py ./
RUN useradd --system --uid 10001 oficina
USER oficina
EXPOSE 8002
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8002/health', timeout=2).status != 200)"
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
