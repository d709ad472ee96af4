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
RUN npm run build
# tsx and every package the sync server imports are `dependencies`, so pruning the dev ones
# (vite, vitest, eslint, playwright…) keeps `node --import tsx sync-server/main.ts` working.
RUN npm prune --omit=dev

# ---- runtime: no compilers, non-root ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
	PORT=3000 \
	HOST=0.0.0.0 \
	DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/tsconfig.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/build ./build
# tsconfig.json extends .svelte-kit/tsconfig.json; tsx reads it when loading sync-server/.
COPY --from=build --chown=node:node /app/.svelte-kit/tsconfig.json ./.svelte-kit/tsconfig.json
COPY --from=build --chown=node:node /app/sync-server ./sync-server
COPY --from=build --chown=node:node /app/src/lib ./src/lib
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
	CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains: clients get close code 1012 and reconnect to another instance.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "sync-server/main.ts"]
