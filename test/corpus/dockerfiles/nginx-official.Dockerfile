# Taught by: nginxinc/docker-nginx mainline/debian/Dockerfile (master runs as root on :80, workers as nginx)
FROM nginx:1.27
COPY nginx.conf /etc/nginx/nginx.conf
COPY html/ /usr/share/nginx/html/
EXPOSE 80
CMD ["nginx", "-g", "daemon off;"]
