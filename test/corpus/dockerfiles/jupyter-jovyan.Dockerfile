# Taught by: jupyter/docker-stacks images/scipy-notebook/Dockerfile (USER ${NB_UID} from the base)
ARG REGISTRY=quay.io
ARG OWNER=jupyter
ARG BASE_IMAGE=$REGISTRY/$OWNER/minimal-notebook
FROM $BASE_IMAGE
USER root
RUN apt-get update --yes && apt-get install --yes --no-install-recommends build-essential && apt-get clean && rm -rf /var/lib/apt/lists/*
USER ${NB_UID}
RUN mamba install --yes 'altair' 'bokeh' && mamba clean --all -f -y
WORKDIR "${HOME}"
