# syntax=docker/dockerfile:1
# image-gitops: build with the full toolchain, run on node:20-slim as a non-root user.

FROM node:20 AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY schemas ./schemas
RUN npm run build

FROM node:20 AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# package.json marks the package root: schemas/ are found next to it at run time.
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/schemas ./schemas
RUN groupadd --system --gid 10001 image-gitops \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent image-gitops \
 && mkdir -p /var/cache/image-gitops && chown 10001:10001 /var/cache/image-gitops
USER 10001:10001
ENV GIT_CACHE_DIR=/var/cache/image-gitops/git
EXPOSE 8080
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["run"]
