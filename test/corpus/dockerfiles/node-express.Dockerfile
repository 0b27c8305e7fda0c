# Taught by: docker/awesome-compose react-express-mongodb/backend/Dockerfile (node image, no USER)
FROM node:20-alpine
WORKDIR /usr/src/app
COPY package*.json ./
RUN npm ci
COPY . .
EXPOSE 3000
CMD ["node", "server.js"]
