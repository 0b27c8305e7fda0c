# Taught by: docker-library/mongo 7.0/Dockerfile (gosu, data under /data/db)
FROM ubuntu:jammy
RUN groupadd --gid 999 --system mongodb && useradd --uid 999 --system --gid mongodb --home-dir /data/db mongodb
RUN apt-get update && apt-get install -y --no-install-recommends gosu jq numactl && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /data/db /data/configdb && chown -R mongodb:mongodb /data/db /data/configdb
VOLUME /data/db /data/configdb
COPY docker-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 27017
CMD ["mongod"]
