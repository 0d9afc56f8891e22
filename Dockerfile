# syntax=docker/dockerfile:1
# One image recipe for every deployable. SERVICE is the workspace folder of the process to run:
#   docker build --build-arg SERVICE=services/delivery -t rowline/delivery .
#   docker build --build-arg SERVICE=gateway -t rowline/gateway .
# Workers run from their service's image with another entry: `node --enable-source-maps dist/worker.js`.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first: the dependency layer is rebuilt only when a package.json or the lock file changes.
# Every workspace's package.json must be listed (npm ci refuses a lock file naming missing workspaces);
# scripts/check-deploy.mjs checks that this list matches the root workspaces.
COPY package.json package-lock.json ./
COPY packages/bus/package.json packages/bus/
COPY packages/engine/package.json packages/engine/
COPY packages/kit/package.json packages/kit/
COPY packages/storage/package.json packages/storage/
COPY packages/testing/package.json packages/testing/
COPY proto/package.json proto/
COPY services/auth/package.json services/auth/
COPY services/delivery/package.json services/delivery/
COPY services/executions/package.json services/executions/
COPY services/files/package.json services/files/
COPY services/workflows/package.json services/workflows/
COPY gateway/package.json gateway/
COPY embedded/package.json embedded/
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -b && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
# Owned by root and not writable by the app user: the code cannot be changed at run time, and the
# container runs with a read-only root filesystem. STORAGE_DIR's mount point is created here, owned by
# the app user, so a fresh named volume mounted there inherits that ownership.
COPY --from=build /app /app
RUN if [ -z "${SERVICE}" ] || [ ! -f "/app/${SERVICE}/package.json" ]; then \
      echo "build with --build-arg SERVICE=<workspace folder>, e.g. services/delivery" >&2; exit 1; \
    fi \
    && mkdir -p /data/storage && chown node:node /data/storage
WORKDIR /app/${SERVICE}
USER node
# OpenTelemetry for every process of the image, off unless OTEL_EXPORTER_OTLP_ENDPOINT (or another standard
# OTEL_* variable) asks for traces: packages/kit/src/tracing-register.ts.
ENV NODE_OPTIONS="--import=@rowline/kit/tracing-register"
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "/app/docker/healthcheck.mjs"]
CMD ["node", "--enable-source-maps", "dist/main.js"]
