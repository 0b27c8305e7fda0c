# Taught by: Ekito/docker-cron Dockerfile (cron in the foreground needs root)
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends cron && rm -rf /var/lib/apt/lists/*
COPY crontab /etc/cron.d/app
RUN chmod 0644 /etc/cron.d/app && crontab /etc/cron.d/app
CMD ["cron", "-f"]
