# Taught by: tianon/gosu README.md (setpriv as the documented alternative to gosu)
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends util-linux && rm -rf /var/lib/apt/lists/*
RUN useradd --uid 10001 --no-create-home app
COPY entrypoint.sh /entrypoint.sh
ENTRYPOINT ["/entrypoint.sh"]
CMD ["setpriv", "--reuid=10001", "--regid=10001", "--init-groups", "/usr/local/bin/app"]
