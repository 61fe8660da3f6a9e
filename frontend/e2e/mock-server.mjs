// A single-process stand-in for the pairprog server, for working on the UI
// without the Rust build: REST rooms + autocomplete, the y-websocket protocol
// on /yjs/{room}, and the built app with SPA fallback. Not used by tests.
//   PORT=8000 node e2e/mock-server.mjs
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';
import { WebSocketServer } from 'ws';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';

const here = path.dirname(fileURLToPath(import.meta.url));
const staticDir = process.env.PAIRPROG__SERVER__STATIC_DIR || path.join(here, '..', 'dist');
const rooms = new Map();
const ID_RE = /^[A-Za-z0-9_-]{6,64}$/;

function newRoom(language) {
  const id = crypto.randomBytes(8).toString('base64url').slice(0, 10);
  const doc = new Y.Doc();
  doc.getText('code').insert(0, language === 'python' ? '# Welcome to the collaborative coding room!\n' : '// Welcome to the collaborative coding room!\n');
  doc.getMap('meta').set('language', language);
  const awareness = new awarenessProtocol.Awareness(doc);
  awareness.setLocalState(null);
  const room = { id, doc, awareness, conns: new Set(), created_at: new Date().toISOString() };
  doc.on('update', (update) => {
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, 0);
    syncProtocol.writeUpdate(enc, update);
    broadcast(room, encoding.toUint8Array(enc));
  });
  awareness.on('update', ({ added, updated, removed }) => {
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, 1);
    encoding.writeVarUint8Array(enc, awarenessProtocol.encodeAwarenessUpdate(awareness, [...added, ...updated, ...removed]));
    broadcast(room, encoding.toUint8Array(enc));
  });
  rooms.set(id, room);
  return room;
}

function broadcast(room, msg) {
  for (const ws of room.conns) if (ws.readyState === 1) ws.send(msg);
}

function info(room) {
  return {
    roomId: room.id,
    created_at: room.created_at,
    updated_at: new Date().toISOString(),
    code: room.doc.getText('code').toString(),
    language: room.doc.getMap('meta').get('language'),
    connectionCount: room.conns.size,
  };
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'Content-Type': type });
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}

const problem = (res, status, detail) => send(res, status, { type: 'about:blank', title: 'Error', status, detail }, 'application/problem+json');

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  let body = '';
  for await (const chunk of req) body += chunk;
  if (url.pathname === '/healthz') return send(res, 200, 'ok', 'text/plain');
  if (req.method === 'POST' && url.pathname === '/api/rooms') {
    const language = (body && JSON.parse(body).language) || 'python';
    const { id, doc, created_at } = newRoom(language);
    return send(res, 201, { roomId: id, created_at, language, code: doc.getText('code').toString() });
  }
  const m = /^\/api\/rooms\/([^/]+)$/.exec(url.pathname);
  if (req.method === 'GET' && m) {
    if (!ID_RE.test(m[1])) return problem(res, 400, 'invalid room id');
    const room = rooms.get(m[1]);
    return room ? send(res, 200, info(room)) : problem(res, 404, 'room not found');
  }
  if (req.method === 'POST' && url.pathname === '/api/autocomplete') {
    const { code, cursorPosition } = JSON.parse(body);
    const line = code.slice(0, cursorPosition).split('\n').pop();
    const suggestion = /def \w*$/.test(line) ? 'name(self):\n    pass' : /print$/.test(line) ? '("hello")' : '';
    const suggestions = suggestion
      ? [{ text: suggestion, label: suggestion.split('\n')[0], kind: 'snippet', confidence: 0.8, description: 'mock', replaceBefore: 0, replaceAfter: 0 }]
      : [];
    return send(res, 200, { suggestion, confidence: suggestion ? 0.8 : 0, description: suggestion ? 'mock' : '', suggestions, prefixLength: 0 });
  }
  let file = path.join(staticDir, path.normalize(url.pathname));
  if (!file.startsWith(staticDir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(staticDir, 'index.html');
  const ext = path.extname(file);
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.svg': 'image/svg+xml' };
  send(res, 200, fs.readFileSync(file), types[ext] || 'application/octet-stream');
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  const m = /^\/yjs\/([^/?]+)/.exec(req.url);
  const room = m && rooms.get(m[1]);
  if (!room) return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.binaryType = 'arraybuffer';
    room.conns.add(ws);
    const ids = new Set();
    ws.on('message', (data) => {
      const dec = decoding.createDecoder(new Uint8Array(data));
      const type = decoding.readVarUint(dec);
      if (type === 0) {
        const enc = encoding.createEncoder();
        encoding.writeVarUint(enc, 0);
        syncProtocol.readSyncMessage(dec, enc, room.doc, ws);
        if (encoding.length(enc) > 1) ws.send(encoding.toUint8Array(enc));
      } else if (type === 1) {
        const update = decoding.readVarUint8Array(dec);
        const d2 = decoding.createDecoder(update);
        for (let i = decoding.readVarUint(d2); i > 0; i--) {
          ids.add(decoding.readVarUint(d2));
          decoding.readVarUint(d2);
          decoding.readVarString(d2);
        }
        awarenessProtocol.applyAwarenessUpdate(room.awareness, update, ws);
      }
    });
    ws.on('close', () => {
      room.conns.delete(ws);
      awarenessProtocol.removeAwarenessStates(room.awareness, [...ids], null);
    });
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, 0);
    syncProtocol.writeSyncStep1(enc, room.doc);
    ws.send(encoding.toUint8Array(enc));
    const states = [...room.awareness.getStates().keys()];
    if (states.length) {
      const a = encoding.createEncoder();
      encoding.writeVarUint(a, 1);
      encoding.writeVarUint8Array(a, awarenessProtocol.encodeAwarenessUpdate(room.awareness, states));
      ws.send(encoding.toUint8Array(a));
    }
  });
});

server.listen(Number(process.env.PORT ?? 8000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
