# pinaudit in a container, for compose.yaml. Chromium is included for `pinaudit crawl`.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ chromium \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY bin bin
COPY src src
COPY bench bench
COPY migrations migrations
COPY dashboard dashboard
# `npm ci` builds better-sqlite3 and runs the TypeScript build (prepare); the tools go afterwards.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev
ENTRYPOINT ["node", "bin/pinaudit.js"]
