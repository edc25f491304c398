# One image per dpskmigrate binary: docker build --target worker|trigger|r1sim|cli .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/...
# The export store, made here because distroless has no shell. It holds
# passphrases: only the nonroot user may enter it.
RUN install -d -m 0700 /rootfs/exports

FROM gcr.io/distroless/static-debian12:nonroot AS base
# Copying /rootfs/ (not /rootfs/exports) keeps the directory's own mode 0700;
# --chown gives it to nonroot (65532). A named volume mounted at /exports for
# the first time takes this ownership and mode, so the trigger can store exports.
COPY --from=build --chown=65532:65532 /rootfs/ /
WORKDIR /app
USER nonroot

FROM base AS worker
COPY --from=build /out/worker /app/worker
ENTRYPOINT ["/app/worker"]

FROM base AS trigger
COPY --from=build /out/trigger /app/trigger
EXPOSE 8080
ENTRYPOINT ["/app/trigger", "--addr", "0.0.0.0:8080"]

FROM base AS r1sim
COPY --from=build /out/r1sim /app/r1sim
EXPOSE 8555
ENTRYPOINT ["/app/r1sim", "--addr", "0.0.0.0:8555", "--allow-remote"]

FROM base AS cli
COPY --from=build /out/dpskmigrate /app/dpskmigrate
ENTRYPOINT ["/app/dpskmigrate"]
