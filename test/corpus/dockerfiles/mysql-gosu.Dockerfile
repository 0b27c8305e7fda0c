# Taught by: docker-library/mysql 8.0/Dockerfile.oracle (gosu, entrypoint as root)
FROM oraclelinux:8-slim
RUN groupadd --system --gid 999 mysql && useradd --system --uid 999 --gid 999 --home-dir /var/lib/mysql --no-create-home mysql
ENV GOSU_VERSION 1.17
RUN microdnf install -y mysql-server && microdnf clean all
VOLUME /var/lib/mysql
COPY docker-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 3306 33060
CMD ["mysqld"]
