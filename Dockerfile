FROM node:22-slim AS build
WORKDIR /app
# npm ci applies patches/ (patch-package) to the installed dependencies.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY db ./db
RUN npm run build

FROM node:22-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# The maintenance scripts (keys, reindex, import/export) run from source through tsx.
COPY tsconfig.json ./
COPY src ./src
COPY db ./db
COPY scripts ./scripts
ENV HOST=0.0.0.0 PORT=3000 NODE_ENV=production
EXPOSE 3000
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "--no-allocation-site-pretenuring", "dist/src/server.js"]
