# Taught by: astral-sh/uv docs/guides/integration/docker.md (COPY --from an external image)
FROM python:3.12-slim-bookworm
COPY --from=ghcr.io/astral-sh/uv:0.4.9 /uv /uvx /bin/
WORKDIR /app
COPY . /app
RUN uv sync --frozen
CMD ["uv", "run", "app.py"]
