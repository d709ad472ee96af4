# Parley: one image for every instance (pages + sync server in one process).
#   docker build -t parley .   then see docker-compose.yml for two instances behind nginx.

# ---- build: native better-sqlite3, the SvelteKit build, then only runtime deps ----
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update \
	&& apt-get install -y --no-install-recommends python3 make g++ \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# postinstall repairs a crash of the PostgreSQL driver (scripts/patch-postgres.mjs).
COPY scripts/patch-postgres.mjs ./scripts/
RUN npm ci
COPY . .
# The pages (build/handler.js) and the program's entry bundled (build/sync-server.js).
RUN npm run build
# Every package the bundle leaves external is in `dependencies`, so pruning the dev ones
# (vite, vitest, eslint, playwright…) keeps `node build/sync-server.js` working.
RUN npm prune --omit=dev

# ---- runtime: no compilers, non-root ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
	PORT=3000 \
	HOST=0.0.0.0 \
	DATA_DIR=/data
WORKDIR /app
# package.json says "type": "module": build/sync-server.js is an ES module.
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/build ./build
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
	CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains: clients get close code 1012 and reconnect to another instance.
STOPSIGNAL SIGTERM
# Stack traces name the bundle's lines; NODE_OPTIONS=--enable-source-maps maps them to the .ts
# files (build/sync-server.js.map), at a cost on every error's stack.
CMD ["node", "build/sync-server.js"]
