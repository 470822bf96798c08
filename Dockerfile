# syntax=docker/dockerfile:1
# Production image: multi-stage (build with dev dependencies, run with production ones only),
# non-root, with a health check on /healthz.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
COPY config ./config
COPY contracts ./contracts
COPY scripts ./scripts
RUN node scripts/compile-contracts.mjs && npx tsc -p tsconfig.json

FROM node:20-bookworm-slim AS runtime
# The image is the production shape: it listens on all interfaces, so the embedded dev token
# issuer is off and a configuration with trusted issuers, the chain and secrets must be given
# (CUSTOS_CONFIG pointing at a mounted file, plus CUSTOS_* secrets from the environment).
ENV NODE_ENV=production \
    CUSTOS_SERVER_HOST=0.0.0.0 \
    CUSTOS_SERVER_PORT=8080 \
    CUSTOS_IDENTITY_DEV_ISSUER_ENABLED=false \
    CUSTOS_DATA_DIR=/var/lib/custos
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/contracts/build ./contracts/build
COPY config ./config
RUN mkdir -p /var/lib/custos && chown node:node /var/lib/custos
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "--enable-source-maps", "dist/src/cli/main.js"]
CMD ["start"]
