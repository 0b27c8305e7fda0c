# Taught by: docker-library/postgres 16/bookworm/Dockerfile (entrypoint drops to postgres with gosu)
FROM debian:bookworm-slim
RUN groupadd -r postgres --gid=999 && useradd -r -g postgres --uid=999 postgres
RUN apt-get update && apt-get install -y --no-install-recommends gosu postgresql && rm -rf /var/lib/apt/lists/*
COPY docker-entrypoint.sh /usr/local/bin/
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
