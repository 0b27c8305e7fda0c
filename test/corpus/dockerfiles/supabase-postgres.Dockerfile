# Taught by: supabase/postgres Dockerfile (postgres base; official entrypoint switches to postgres)
FROM postgres:15.6
COPY migrations/ /docker-entrypoint-initdb.d/
COPY postgresql.conf /etc/postgresql/postgresql.conf
CMD ["postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"]
