// The y-websocket server (@y/websocket-server's setupWSConnection, as its
// own bin uses it) for scripts/bench.sh, plus what the load generator needs
// around it and pairprog has built in: documents kept when their last
// client leaves (in memory: it is one process) and a small HTTP API,
// POST /api/rooms and GET /api/rooms/{id} -> {"code"}, GET /readyz.
// Clients connect to /yjs/{id}, as to pairprog.
//
//   node y-websocket.mjs --port 0
//
// Prints "listening on http://127.0.0.1:PORT" once it accepts connections.
import { randomUUID } from "node:crypto";
import http from "node:http";
import { parseArgs } from "node:util";

import { docs, setPersistence, setupWSConnection } from "@y/websocket-server/utils";
import { WebSocketServer } from "ws";
import * as Y from "yjs";

const { values: opt } = parseArgs({
  options: { port: { type: "string", default: "0" } },
});

const stored = new Map();
setPersistence({
  provider: null,
  bindState: async (name, doc) => {
    const state = stored.get(name);
    if (state) Y.applyUpdate(doc, state);
  },
  writeState: async (name, doc) => {
    stored.set(name, Y.encodeStateAsUpdate(doc));
  },
});

const roomOf = (url) => decodeURIComponent((url || "").split("?")[0].replace(/^\/yjs\//, ""));

function roomCode(id) {
  const live = docs.get(id);
  if (live) return live.getText("code").toString();
  const state = stored.get(id);
  if (!state) return null;
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc.getText("code").toString();
}

const json = (response, status, body) => {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
};

const server = http.createServer((request, response) => {
  const path = (request.url || "").split("?")[0];
  request.resume();
  if (request.method === "POST" && path === "/api/rooms") {
    json(response, 201, { roomId: randomUUID() });
  } else if (request.method === "GET" && path.startsWith("/api/rooms/")) {
    const code = roomCode(decodeURIComponent(path.slice("/api/rooms/".length)));
    if (code === null) json(response, 404, { title: "unknown room" });
    else json(response, 200, { code });
  } else {
    json(response, 200, { ready: true });
  }
});

const wss = new WebSocketServer({ noServer: true });
wss.on("connection", (conn, request) => setupWSConnection(conn, request, { docName: roomOf(request.url) }));
server.on("upgrade", (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
});
server.listen(Number(opt.port), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
