# mockmx as a container: a mock remote SMTP host for the program under test, configured by MOCKMX_* variables.
#
#   docker build -t mockmx .
#   docker run --rm -p 2525:2525 -p 8025:8025 -e MOCKMX_LISTEN="0.0.0.0:2525=greylist" mockmx
#
# scripts/container-check runs the same build command (scripts/build-release), then builds and runs this image
# with podman, handing it that binary: --build-arg BINARY=prebuilt takes mockmx from prebuilt/mockmx in the
# build context instead of compiling it (where the Swift image cannot be pulled). See docs/sidecar.md.

# Where the binary comes from: `build` (compiled here, the default) or `prebuilt`.
ARG BINARY=build

FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libevent-dev libssl-dev pkgconf \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/build-release /out

FROM scratch AS prebuilt
COPY prebuilt/mockmx /out/mockmx

FROM ${BINARY} AS binary

FROM debian:bookworm-slim
# What the binary links dynamically (scripts/container-check verifies it with ldd): libevent (the combined
# library and its core, extra, openssl and pthreads parts), OpenSSL, libstdc++. The Swift runtime and
# Foundation are linked in statically.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libevent-2.1-7 libevent-core-2.1-7 libevent-extra-2.1-7 libevent-openssl-2.1-7 libevent-pthreads-2.1-7 \
        libssl3 libstdc++6 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10025 mockmx \
    && useradd --system --uid 10025 --gid mockmx --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin mockmx \
    && mkdir -p /spool /scenarios \
    && chown mockmx:mockmx /spool /scenarios
COPY --from=binary /out/mockmx /usr/local/bin/mockmx
# container=oci: containerd (most Kubernetes clusters) leaves no /.dockerenv, and inside a container mockmx
# must listen on 0.0.0.0 to be reachable at all. MOCKMX_SPOOL: accepted messages land in the volume.
ENV container=oci \
    MOCKMX_SPOOL=/spool
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10025:10025
WORKDIR /scenarios
VOLUME ["/spool", "/scenarios"]
# SMTP, implicit-TLS SMTP (smtps://0.0.0.0:465=…), control API; port 25 and DNS for senders that look up MX records
# (MOCKMX_LISTEN=0.0.0.0:25=…, MOCKMX_DNS=0.0.0.0:53).
EXPOSE 2525 465 8025 25 53/udp
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["mockmx", "health"]
ENTRYPOINT ["mockmx"]
CMD ["serve"]
