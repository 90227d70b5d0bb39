# syntax=docker/dockerfile:1
# The production image: hypercorn workers serving quart_app as a non-root user.
# Migrations are not run here (the image may be built long before it meets its database):
# run `quart_app migrate` as a release step, e.g. `docker run --rm IMAGE quart_app migrate`.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, pinned by the constraints file, so code changes reuse this layer.
COPY constraints.txt ./
RUN pip install --requirement constraints.txt
COPY pyproject.toml README.md ./
COPY quart_app ./quart_app
RUN pip install --no-deps --constraint constraints.txt ".[postgres,redis]"

FROM python:${PYTHON_VERSION}-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    APP_ENV=production \
    INSTANCE_PATH=/data \
    PORT=8000 \
    WEB_CONCURRENCY=2
RUN useradd --create-home --uid 10001 app && mkdir /data && chown app:app /data
COPY --from=build /opt/venv /opt/venv
USER app
WORKDIR /home/app
# The embedded SQLite database lives here when DATABASE_URL is not set; keep it on a local volume.
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"]
STOPSIGNAL SIGTERM
CMD ["quart_app", "serve"]
