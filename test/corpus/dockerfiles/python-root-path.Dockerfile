# Taught by: docker-library/python 3.12/slim-bookworm/Dockerfile (base; the app and PATH under /root as pip --user tutorials do)
FROM python:3.12-slim
WORKDIR /root/app
COPY requirements.txt .
RUN pip install --user --no-cache-dir -r requirements.txt
ENV PATH=/root/.local/bin:$PATH
COPY . .
CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]
