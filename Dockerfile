# One image for every streamlens stage: `streamlens worker <stage>` or `streamlens start`.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends sox alsa-utils ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY bin ./bin
COPY dashboard ./dashboard
# The image's npm may predate package.json's allowScripts: skip onnxruntime-node's CUDA download explicitly.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --no-audit --no-fund --ignore-scripts && npm rebuild esbuild @ffmpeg-installer/linux-x64
COPY . .
RUN npm run build && npm run build:dashboard
ENV NODE_ENV=production HOST=0.0.0.0
EXPOSE 8080 9464
ENTRYPOINT ["node", "bin/streamlens.mjs"]
CMD ["start"]
