# Taught by: nodejs/docker-node docs/BestPractices.md (USER node)
FROM node:20-bookworm-slim
ENV NODE_ENV production
WORKDIR /home/node/app
COPY --chown=node:node . .
RUN npm ci --omit=dev
USER node
CMD ["node", "index.js"]
