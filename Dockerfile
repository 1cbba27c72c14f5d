# lifetime-deploy: one image for the worker (the default command), the CLI and the LifeTime simulator.
#
#   docker build -t lifetime-deploy .
#   docker run --rm -e TEMPORAL_ADDRESS=host:7233 -e LIFETIME_URL=https://lifetime.example.com -e LIFETIME_TOKEN lifetime-deploy
#   docker run --rm lifetime-deploy node bin/lifetime-deploy.js --help
#   docker run --rm -p 8088:8088 lifetime-deploy node --import tsx src/simulator/main.ts --host 0.0.0.0 --port 8088
#
# docker-compose.yml runs all of it with Temporal; test/compose.test.ts checks this file against the code.
FROM node:20.20.2-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# ssh-keygen verifies signed decisions against LIFETIME_DEPLOY_APPROVERS_FILE (and the CLI's --sign-with signs with it).
RUN apt-get update && apt-get install -y --no-install-recommends openssh-client && rm -rf /var/lib/apt/lists/*

# Dependencies first, so this layer is reused while package*.json are unchanged. Runtime dependencies only:
# tsx runs the TypeScript sources, and @temporalio/worker brings the workflow bundler.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY scripts/build-bundle.ts ./scripts/build-bundle.ts

# Prebuild the workflow bundle (dist/workflow-bundle.js): the worker loads it instead of bundling at start.
RUN npx tsx scripts/build-bundle.ts

# Where the simulator keeps its --state file (a volume in docker-compose.yml), writable by the runtime user.
RUN mkdir -p /var/lib/lifetime-simulator && chown node:node /var/lib/lifetime-simulator

# The application stays owned by root and read-only for the user that runs it.
USER node

# 8088: the LifeTime simulator; 9464: the worker's Prometheus metrics (LIFETIME_DEPLOY_METRICS_PORT).
EXPOSE 8088 9464

# `node --import tsx` runs the TypeScript in one process that receives SIGTERM itself, so the worker drains and
# stops cleanly on `docker stop` (npx exits on SIGTERM without passing it on).
CMD ["node", "--import", "tsx", "src/worker.ts"]
