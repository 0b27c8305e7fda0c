# Taught by: linuxserver/docker-plex Dockerfile (baseimage-ubuntu, abc user via PUID)
FROM ghcr.io/linuxserver/baseimage-ubuntu:noble
ENV PLEX_DOWNLOAD="https://downloads.plex.tv/plex-media-server-new"
RUN apt-get update && apt-get install -y udev wget && rm -rf /var/lib/apt/lists/*
COPY root/ /
EXPOSE 32400/tcp
VOLUME /config
