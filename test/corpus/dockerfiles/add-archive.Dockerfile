# Taught by: hadolint/hadolint test fixtures for DL3020 (ADD of a local archive is auto-extracted)
FROM debian:bookworm-slim
ADD rootfs.tar.gz /
ADD app.tar /opt/app/
CMD ["/opt/app/run"]
