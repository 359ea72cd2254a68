# cosjob: the Slack bot, on Node.js 24 LTS (CI runs the test suite on this Node major too: .ci/run).
# Build: docker build -t cosjob .   Run: docker run --env-file .env -p 3000:3000 cosjob
# No setting, and so no secret, is baked into the image: every one comes from the environment at run time.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the source is copied; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY manifest.yml ./
USER node
# PORT (default 3000) serves /livez, /readyz and /metrics in both modes, and /slack/events in HTTP mode.
EXPOSE 3000
# The slim image has no curl: node's own fetch asks /livez (200 while the event loop turns).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The node options of package.json's start script (measured with bench/footprint.ts and the app suite of
# npm run bench). Unbounded, V8 grows each young-generation semi-space to 16 MB and the old space to about
# 4x what survives a full GC, so a bot with ~30 MB live sat at ~135 MB resident idle and ~205 MB after a
# 500-click storm. --max-semi-space-size=2 caps the young generation at 2 x 2 MB, --heap-growing-percent=50
# starts the next full GC at 1.5x the live heap, --v8-pool-size=2 keeps two GC helper threads (and their
# malloc arenas) instead of four: ~97 MB idle, ~114 MB after the storm. 4 MB semi-spaces gave ~101 / ~120 MB;
# 2 MB once pushed the storm's ack p99 past 1.5x the bare Bolt app's, which no longer happens since
# listeners run their work after ack a few at a time and allocate less per click.
CMD ["node", "--max-semi-space-size=2", "--heap-growing-percent=50", "--v8-pool-size=2", "dist/src/main.js"]
