# Taught by: linuxserver/docker-wireguard Dockerfile (s6-overlay base, PUID/PGID switch in init)
FROM ghcr.io/linuxserver/baseimage-alpine:3.20
LABEL maintainer="aptalca"
RUN apk add --no-cache wireguard-tools iptables
COPY root/ /
EXPOSE 51820/udp
VOLUME /config
