# Taught by: immich-app/immich server/Dockerfile (node app from a base image, entrypoint script, no USER)
FROM ghcr.io/immich-app/base-server-dev:20240708@sha256:4e0c8e3b6a1f1c0b1b2b6e8a1f7c7a7b7b3b9f6c1a2d3e4f5a6b7c8d9e0f1a2b3c AS dev
WORKDIR /usr/src/app
COPY server/package.json server/package-lock.json ./
RUN npm ci
COPY server .
FROM ghcr.io/immich-app/base-server-prod:20240708
WORKDIR /usr/src/app
ENV NODE_ENV=production
COPY --from=dev /usr/src/app/dist ./dist
COPY server/bin/ ./bin/
VOLUME /usr/src/app/upload
EXPOSE 3001
ENTRYPOINT ["tini", "--", "/bin/sh"]
CMD ["./bin/start.sh"]
