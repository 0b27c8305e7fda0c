# Taught by: hadolint/hadolint test fixtures for DL3020 (ADD of a plain file: COPY is right)
FROM python:3.12-slim
WORKDIR /app
ADD requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
ADD app.py .
USER nobody
CMD ["python", "app.py"]
