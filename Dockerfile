# cosjob: the Slack bot, built on the current Node.js LTS.
# Build: docker build -t cosjob .   Run: docker run --env-file .env cosjob

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY manifest.yml ./
USER node
# HTTP mode listens on PORT (default 3000) at /slack/events and answers GET /healthz; Socket Mode needs no port.
EXPOSE 3000
CMD ["node", "dist/src/main.js"]
