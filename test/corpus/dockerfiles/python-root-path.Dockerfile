# Taught by: pip install --user samples that put the app and PATH under /root (e.g. many FastAPI tutorials)
FROM python:3.12-slim
WORKDIR /root/app
COPY requirements.txt .
RUN pip install --user --no-cache-dir -r requirements.txt
ENV PATH=/root/.local/bin:$PATH
COPY . .
CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]
