# Taught by: docker/awesome-compose react-rust-postgres/backend/Dockerfile (cargo build, debian runtime)
FROM rust:1.79 AS builder
WORKDIR /code
COPY . .
RUN cargo build --release
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=builder /code/target/release/server /usr/local/bin/server
EXPOSE 8000
CMD ["server"]
