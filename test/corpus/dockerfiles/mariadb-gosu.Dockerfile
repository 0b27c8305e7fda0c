# Taught by: MariaDB/mariadb-docker 11.4/Dockerfile (gosu in docker-entrypoint.sh)
FROM ubuntu:noble
RUN groupadd --gid 999 -r mysql && useradd -r -g mysql mysql --home-dir /var/lib/mysql --uid 999
RUN apt-get update && apt-get install -y --no-install-recommends gosu mariadb-server && rm -rf /var/lib/apt/lists/*
VOLUME /var/lib/mysql
COPY docker-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 3306
CMD ["mariadbd"]
