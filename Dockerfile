# syntax=docker/dockerfile:1
#
# qwen-image-gateway in a slim Node 20 image: the server (`node dist/main.js`, what `npm start`
# runs), its CLI (`npm run qig -- …`) and the web pages, with production dependencies only.
#
#   docker build -t qwen-image-gateway .
#   docker run -p 8080:8080 -v qig-data:/data -e QIG_ADMIN_TOKEN=… qwen-image-gateway
#
# test/e2e/container-commands.test.ts replays this file's COPY, ENV, RUN and CMD lines on a copy of
# the build context and starts the server as CMD does, so the image's commands are tested as they
# are written here. It knows the forms used below and fails on any other: keep to them, or teach it.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, then the server (dist/) and the web pages (web/dist/).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the package's own "prepare" would build before the sources are copied, and
# building needs no native addon.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# ---- deps: production dependencies only, native addons built for this image's Node.
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# better-sqlite3 is compiled here against the image's own Node headers (the official image keeps
# them under /usr/local/include/node) rather than fetched as a prebuilt binary from GitHub: the
# build needs only the npm registry and Debian's mirrors, and every byte installed is checked
# against package-lock.json. sharp's binaries come as npm packages and need nothing.
ENV npm_config_nodedir=/usr/local npm_config_build_from_source=better-sqlite3
# --ignore-scripts again skips "prepare" (there is nothing to build here); then only the install
# scripts of the production packages that have one run, as package.json's allowScripts allows.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 msgpackr-extract

# ---- runtime
FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 QIG_DATA_DIR=/data NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# package.json: "type": "module" for dist/, and the scripts (`npm start`, `npm run qig`).
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
# The code stays root's (read-only to the server); the data directory is the server's.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# The slim image has no curl: Node asks /healthz itself (workers answer it on PORT too).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
