# dsiem-backend (TypeScript): a drop-in replacement for the Dsiem backend container.
# Configured by DSIEM_* environment variables (see README). Alarms and saved backlogs go to /dsiem/logs, the folder
# and volume of Dsiem's own images, which Filebeat reads.
#
#   docker build -t dsiem-backend-ts .
#   docker run -e DSIEM_NODE=dsiem-backend-0 -e DSIEM_FRONTEND=http://dsiem:8080 \
#              -e DSIEM_MSQ=nats://dsiem-nats:4222 -v dsiem-log:/dsiem/logs dsiem-backend-ts
#
# The container starts as root only for bin/docker-entrypoint.sh, which hands /dsiem/logs to the node user
# (uid 1000; DSIEM_UID/DSIEM_GID change it) and then runs the backend as that user.

# Node 26, the active LTS line (LTS since 2026-10-28). The code also runs on Node 20.19+ and 22.
ARG NODE_IMAGE=node:26-trixie-slim

# ---- build: compile TypeScript with the dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY actors ./actors
COPY config ./config
RUN npx tsc -p tsconfig.build.json

# ---- production dependencies only ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    DSIEM_LOGS_DIR=/dsiem/logs
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# A fresh named volume takes this folder's owner: the node user.
RUN mkdir -p /dsiem/logs && chown node:node /dsiem/logs && chmod 0755 /app/bin/docker-entrypoint.sh
VOLUME ["/dsiem/logs"]
# SIGTERM saves live backlogs to /dsiem/logs/backlogs before exiting, within 60 s; give it more than that
# (docker stop -t 70, stop_grace_period: 70s in compose).
STOPSIGNAL SIGTERM
# Liveness through GET /healthz on DSIEM_PORT (set the port with DSIEM_PORT, not --port, for this check to find it).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "bin/healthcheck.js"]
ENTRYPOINT ["/app/bin/docker-entrypoint.sh"]
CMD ["serve"]
