# Taught by: getsentry/snuba Dockerfile (groupadd snuba, USER snuba before CMD)
FROM python:3.11.8-slim-bookworm AS application_base
WORKDIR /usr/src/snuba
RUN groupadd -r snuba --gid 1000 && useradd -r -g snuba --uid 1000 snuba
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . ./
USER snuba
EXPOSE 1218
ENTRYPOINT ["./docker_entrypoint.sh"]
CMD ["api"]
