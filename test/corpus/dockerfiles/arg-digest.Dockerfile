# Taught by: GoogleContainerTools/distroless examples and pinned-base patterns (ARG default pinned by digest)
ARG BASE=gcr.io/distroless/static-debian12@sha256:8dd8d3ca2cf283383304fd45a5c9c74d5f2cd9da8d3b077d720e264880077c65
FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app
FROM ${BASE}
COPY --from=build /out/app /app
USER nonroot:nonroot
ENTRYPOINT ["/app"]
