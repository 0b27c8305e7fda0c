# Taught by: docker/awesome-compose nginx-golang/backend/Dockerfile (multi-stage to scratch)
FROM golang:1.22-alpine AS builder
WORKDIR /code
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /bin/server .
FROM scratch
COPY --from=builder /bin/server /bin/server
ENTRYPOINT ["/bin/server"]
