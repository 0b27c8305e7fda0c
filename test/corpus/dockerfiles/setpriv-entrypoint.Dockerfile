# Taught by: grafana/loki and other images whose entrypoint uses setpriv --reuid to drop root
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends util-linux && rm -rf /var/lib/apt/lists/*
RUN useradd --uid 10001 --no-create-home app
COPY entrypoint.sh /entrypoint.sh
ENTRYPOINT ["/entrypoint.sh"]
CMD ["setpriv", "--reuid=10001", "--regid=10001", "--init-groups", "/usr/local/bin/app"]
