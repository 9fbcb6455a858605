# The bot as a container: a static binary on distroless, non-root, no
# shell. Build: docker build -t payoutbot .
# CI does not build this image (no Docker daemon there); it builds the
# binary with the same flags and checks it is static (.ci/run).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/payoutbot .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/payoutbot /payoutbot
COPY config.yaml /etc/payoutbot/config.yaml
ENV COPPERX_BOT_CONFIG=/etc/payoutbot/config.yaml \
    LISTEN_ADDR=:8080 \
    LOG_FORMAT=json
USER nonroot:nonroot
EXPOSE 8080
# No shell in the image: the binary probes its own /healthz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/payoutbot", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/payoutbot"]
CMD ["run"]
