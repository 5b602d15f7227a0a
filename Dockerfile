# gatewise as an image: the same CLI, installed the way CI installs it (`pip install` of this
# checkout), running as an unprivileged user.
#
#   docker build -t gatewise .
#   docker run --rm -v "$PWD:/work" -e GATEWISE_ENDPOINT_KEY gatewise \
#     gate --config quality/gate.yaml --endpoint-url http://host.docker.internal:8000/v1 --out gate-out
#
# The base is pinned by digest (python:3.11-slim-bookworm, linux/amd64 + arm64 index); bump the tag
# and the digest together.
FROM python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DO_NOT_TRACK=1

WORKDIR /opt/gatewise-src
COPY pyproject.toml README.md ./
COPY src ./src
# src/gatewise/example is a symlink to quality/ (the demo's gate), so the build needs it too
COPY quality ./quality
RUN python -m pip install . \
    && rm -rf /opt/gatewise-src

RUN useradd --create-home --uid 10001 --user-group gatewise \
    && mkdir /work && chown 10001:10001 /work
USER 10001:10001
WORKDIR /work

ENTRYPOINT ["gatewise"]
CMD ["--help"]
