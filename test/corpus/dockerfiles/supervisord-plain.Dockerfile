# Taught by: Supervisor/supervisor docs/running.rst (supervisord -n in the foreground as root)
FROM python:3.12-slim
RUN pip install --no-cache-dir supervisor gunicorn
COPY supervisord.conf /etc/supervisord.conf
COPY app/ /app/
CMD ["/usr/local/bin/supervisord", "-n", "-c", "/etc/supervisord.conf"]
