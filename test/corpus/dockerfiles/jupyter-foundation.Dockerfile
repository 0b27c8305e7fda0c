# Taught by: jupyter/docker-stacks images/docker-stacks-foundation/Dockerfile (creates jovyan, USER ${NB_UID})
ARG ROOT_IMAGE=ubuntu:24.04
FROM $ROOT_IMAGE
ARG NB_USER="jovyan"
ARG NB_UID="1000"
ARG NB_GID="100"
USER root
ENV NB_USER="${NB_USER}" NB_UID=${NB_UID} NB_GID=${NB_GID} HOME="/home/${NB_USER}"
RUN useradd --no-log-init --create-home --shell /bin/bash --uid "${NB_UID}" --no-user-group "${NB_USER}"
COPY start.sh /usr/local/bin/
ENTRYPOINT ["tini", "-g", "--", "start.sh"]
USER ${NB_UID}
WORKDIR "${HOME}"
