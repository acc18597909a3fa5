# syntax=docker/dockerfile:1
# The catalog subgraph, production image: built in one stage, run from a slim one as a non-root
# user with production dependencies only. Used by docker-compose.yml.

FROM node:24-slim AS build
WORKDIR /app
# Dependencies first, so that a code change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-slim AS runtime
# The commit the image is built from (`docker build --build-arg BUILD_COMMIT=$(git rev-parse HEAD)`),
# for catalog_build_info: the image holds no .git to read it from.
ARG BUILD_COMMIT=unknown
# Heap sizing: V8 would otherwise grow the young generation to 128 MiB and let garbage pile up
# in the old one, for a peak RSS near 400 MiB under load; live data stays near 60 MiB. These keep
# the peak near 270 MiB, also after 500-copy update checks and publishes, at no measurable CPU
# cost (docs/PERFORMANCE.md; npm run bench reads them from here).
ENV NODE_ENV=production \
    BUILD_COMMIT=${BUILD_COMMIT} \
    HOST=0.0.0.0 \
    PORT=4001 \
    DATA_DIR=/app/.data \
    NODE_OPTIONS="--enable-source-maps --max-semi-space-size=16 --max-old-space-size=192"
WORKDIR /app
# Code stays owned by root (read-only for the app); only the data directory is writable.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The migration job (npm run migrate outside the image): `node dist/scripts/migrate.js`, with the
# serving containers on MIGRATE=false. It imports from dist/src only.
COPY --from=build /app/dist/scripts/migrate.js /app/dist/scripts/migrate.js.map ./dist/scripts/
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 4001
# Ready means the database and blob storage answer (CONTRACT §1); the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4001) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
