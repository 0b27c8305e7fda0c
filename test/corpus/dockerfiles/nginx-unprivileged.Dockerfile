# Taught by: nginxinc/docker-nginx-unprivileged mainline/alpine/Dockerfile (USER 101, port 8080)
FROM nginxinc/nginx-unprivileged:1.27-alpine
COPY html/ /usr/share/nginx/html/
EXPOSE 8080
USER 101
