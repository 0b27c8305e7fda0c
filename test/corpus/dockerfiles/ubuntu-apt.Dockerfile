# Taught by: hadolint/hadolint test fixtures (apt-get without cleanup, latest tag)
FROM ubuntu:latest
RUN apt-get update
RUN apt-get install -y curl python3
COPY app.py /opt/app.py
CMD ["python3", "/opt/app.py"]
