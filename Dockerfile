# syntax=docker/dockerfile:1
# loyalpass: the service, its workers and the one-shot migration share this image
# (docs/OPERATIONS.md, "Containers"). Build: docker build -t loyalpass .
#
# Stage 1 builds the wheel and a virtual environment with exactly uv.lock's versions; stage 2
# copies that environment into a clean image that runs as an unprivileged user. Both stages use
# the same pinned base, so the environment's interpreter path is the same in each.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy
RUN pip install --no-cache-dir "uv==0.13.9"
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
# the locked dependencies first: this layer is reused while only the code changes
RUN uv export --frozen --no-dev --no-emit-project --format requirements-txt -o requirements.txt \
 && uv venv /opt/loyalpass \
 && uv pip install --python /opt/loyalpass/bin/python --require-hashes -r requirements.txt
COPY api ./api
COPY passes ./passes
COPY templates ./templates
COPY migrations ./migrations
RUN uv build --wheel --out-dir /dist \
 && uv pip install --python /opt/loyalpass/bin/python --no-deps /dist/loyalpass-*.whl

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 loyalpass \
 && useradd --system --uid 10001 --gid loyalpass --home-dir /var/lib/loyalpass \
      --create-home --shell /usr/sbin/nologin loyalpass
COPY --from=build /opt/loyalpass /opt/loyalpass
ENV PATH=/opt/loyalpass/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    LOYALPASS_ENVIRONMENT=production \
    LOYALPASS_MIGRATE_ON_START=false
WORKDIR /var/lib/loyalpass
USER loyalpass
EXPOSE 8000
# /healthz: the process answers (the image has no curl; the environment's Python asks)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/opt/loyalpass/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["/opt/loyalpass/bin/loyalpass"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
