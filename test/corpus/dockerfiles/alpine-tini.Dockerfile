# Taught by: krallin/tini README (tini as init in an alpine app image)
FROM alpine:3.20
RUN apk add --no-cache tini
COPY app /usr/local/bin/app
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["/usr/local/bin/app"]
