# Taught by: docker-library/node (retired onbuild variants) and hadolint fixtures with ONBUILD
FROM node:18
WORKDIR /usr/src/app
ONBUILD COPY package*.json ./
ONBUILD RUN npm install
ONBUILD COPY . .
CMD ["npm", "start"]
