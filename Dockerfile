# dsiem-backend (TypeScript): a drop-in replacement for the Dsiem backend container.
# Configured only by DSIEM_* environment variables (see README); alarms and saved backlogs go to /logs.
#
#   docker build -t dsiem-backend-ts .
#   docker run -e DSIEM_NODE=dsiem-backend-0 -e DSIEM_FRONTEND=http://dsiem-frontend:8080 \
#              -e DSIEM_MSQ=nats://dsiem-nats:4222 -v dsiem-logs:/logs dsiem-backend-ts

# ---- build: compile TypeScript with the dev dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY actors ./actors
COPY config ./config
RUN npx tsc -p tsconfig.build.json

# ---- production dependencies only ----
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# ---- runtime ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    DSIEM_LOGS_DIR=/logs
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# The node image ships an unprivileged "node" user (uid 1000); /logs belongs to it.
RUN mkdir -p /logs && chown node:node /logs
USER node
VOLUME ["/logs"]
# SIGTERM saves live backlogs to /logs/backlogs before exiting; give it time (docker stop -t 60).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/dsiem-backend.js"]
CMD ["serve"]
