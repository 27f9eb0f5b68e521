# rsk gateway image. Build:  docker build -t rsk .
# Run against an OpenAI-compatible upstream:
#   docker run --rm -p 8787:8787 -e RSK_UPSTREAM_URL=http://host.docker.internal:8000/v1 rsk
# or mount a GGUF for the local llama.cpp backend: -v /models:/models:ro -e RSK_MODEL=/models/model.gguf
# With no upstream and no model it builds and serves the small fixture model, as `npm start` does.

# Build stage: dependencies, the native kernels, the llama.cpp shim and dist/ (npm ci runs the package's prepare).
FROM node:20-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN npm ci && cp "$(readlink -f node_modules/.bin/bun)" /usr/local/bin/bun && npm prune --omit=dev

# Runtime stage: production dependencies only, Bun as the server runtime, an unprivileged user.
FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /usr/local/bin/bun /usr/local/bin/bun
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/src ./src
COPY --from=build /app/ffi ./ffi
COPY --from=build /app/policies ./policies
COPY --from=build /app/kernels/build ./kernels/build
COPY --from=build /app/kernels/rsk.wasm ./kernels/rsk.wasm
COPY --from=build /app/kernels/llama/build ./kernels/llama/build
COPY --from=build --chown=node:node /app/tests/fixture ./tests/fixture
ENV RSK_HOST=0.0.0.0 PORT=8787 RSK_LOG_FORMAT=json
EXPOSE 8787
USER node
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/livez`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# Exec form: bun is PID 1 and receives SIGTERM itself, so in-flight streams drain (RSK_DRAIN_MS) before exit.
CMD ["bun", "src/main.ts"]
