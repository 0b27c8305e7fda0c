# Taught by: laravel/sail runtimes/8.3/Dockerfile (supervisord with user= in supervisord.conf, start-container)
FROM ubuntu:22.04
ARG WWWGROUP
ENV DEBIAN_FRONTEND noninteractive
RUN apt-get update && apt-get install -y gosu curl supervisor php8.3-cli && apt-get clean
RUN groupadd --force -g $WWWGROUP sail && useradd -ms /bin/bash --no-user-group -g $WWWGROUP -u 1337 sail
COPY start-container /usr/local/bin/start-container
COPY supervisord.conf /etc/supervisor/conf.d/supervisord.conf
RUN chmod +x /usr/local/bin/start-container
EXPOSE 80/tcp
ENTRYPOINT ["start-container"]
