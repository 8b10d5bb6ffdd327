# The warmroute sidecar (and simulated backends: `warmroute sim`).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY scripts ./scripts
COPY sidecar ./sidecar
COPY sim ./sim
COPY protos ./protos
COPY policies ./policies
RUN node scripts/build.mjs
ENV NODE_ENV=production
EXPOSE 18090 18091
ENTRYPOINT ["node", "bin/warmroute.mjs"]
CMD ["sidecar", "--policy", "/etc/warmroute/policy.yaml"]
