# Taught by: docker/awesome-compose flask/app/Dockerfile (python image, no USER)
FROM python:3.10-alpine
WORKDIR /app
COPY requirements.txt /app
RUN pip3 install -r requirements.txt
COPY . /app
ENTRYPOINT ["python3"]
CMD ["app.py"]
