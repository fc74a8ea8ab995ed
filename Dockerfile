# Escalator service image: slim Python, non-root, migrations applied on start by the lifespan.
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_URL=sqlite+aiosqlite:////data/escalator.db \
    RULES_FILE=/app/rules.example.yaml

WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
COPY rules.example.yaml ./
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app escalator \
    && mkdir -p /data && chown escalator /data

USER escalator
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"8000\")}/healthz', timeout=2)"
ENTRYPOINT ["escalator"]
CMD ["serve", "--no-sandbox"]
