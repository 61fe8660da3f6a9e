// One Hocuspocus 3 instance for scripts/bench.sh: @hocuspocus/server with
// @hocuspocus/extension-redis (instances on one Redis share rooms), plus
// what the load generator needs around it and pairprog has built in:
// documents persisted (their Yjs state in Redis, beside the extension's own
// keys, so any instance can answer for any room) and a small HTTP API,
// POST /api/rooms and GET /api/rooms/{id} -> {"code"}, GET /readyz.
//
//   node hocuspocus.mjs --port 0 --redis redis://127.0.0.1:6379 --prefix hp1
//
// Prints "listening on http://127.0.0.1:PORT" once it accepts connections.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";

import { Redis } from "@hocuspocus/extension-redis";
import { Server } from "@hocuspocus/server";
import RedisClient from "ioredis";
import * as Y from "yjs";

const { values: opt } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    redis: { type: "string", default: "redis://127.0.0.1:6379" },
    prefix: { type: "string", default: "hocuspocus" },
    name: { type: "string", default: "" },
  },
});
const redisUrl = new URL(opt.redis);
const redisHost = redisUrl.hostname;
const redisPort = Number(redisUrl.port || 6379);
const store = new RedisClient(redisPort, redisHost);
const stateKey = (doc) => `${opt.prefix}:state:${doc}`;

// What @hocuspocus/extension-database does, with Redis as the database.
const persistence = {
  extensionName: "RedisPersistence",
  async onLoadDocument({ documentName, document }) {
    const state = await store.getBuffer(stateKey(documentName));
    if (state) Y.applyUpdate(document, new Uint8Array(state));
  },
  async onStoreDocument({ documentName, document }) {
    await store.set(stateKey(documentName), Buffer.from(Y.encodeStateAsUpdate(document)));
  },
};

const json = (response, status, body) => {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
};

async function roomCode(instance, id) {
  const live = instance.documents.get(id);
  if (live) return live.getText("code").toString();
  const state = await store.getBuffer(stateKey(id));
  if (!state) return null;
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(state));
  return doc.getText("code").toString();
}

const api = {
  extensionName: "BenchApi",
  async onRequest({ request, response, instance }) {
    const path = (request.url || "").split("?")[0];
    request.resume();
    if (request.method === "POST" && path === "/api/rooms") {
      json(response, 201, { roomId: randomUUID() });
    } else if (request.method === "GET" && path.startsWith("/api/rooms/")) {
      const code = await roomCode(instance, decodeURIComponent(path.slice("/api/rooms/".length)));
      if (code === null) json(response, 404, { title: "unknown room" });
      else json(response, 200, { code });
    } else if (path === "/readyz") {
      json(response, 200, { ready: true });
    } else {
      return; // Hocuspocus's own answer
    }
    // A rejection without an error stops the default handler.
    throw null;
  },
};

const server = new Server({
  name: opt.name || null,
  port: Number(opt.port),
  address: "127.0.0.1",
  quiet: true,
  extensions: [
    new Redis({ host: redisHost, port: redisPort, prefix: opt.prefix }),
    persistence,
    api,
  ],
});
await server.listen();
console.log(`listening on http://127.0.0.1:${server.address.port}`);
