// Scenarios with clients that do not behave like the browser app: a raw
// Yjs client (y-websocket in Node, over the `ws` package) sending malformed
// awareness states, or text with lone UTF-16 surrogates.
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { editorText, getRoom, log, sleep, typeLine, until } from './support.mjs';

/** A y-websocket client in Node, synced with `roomId` on `instance`. */
async function yjsClient(instance, roomId) {
  const doc = new Y.Doc();
  const url = `${instance.url.replace(/^http/, 'ws')}/yjs`;
  const provider = new WebsocketProvider(url, roomId, doc, { WebSocketPolyfill: WebSocket, disableBc: true });
  await until(`a Node Yjs client to sync with ${instance.name}`, () => provider.synced, 10_000, 50);
  return {
    doc,
    awareness: provider.awareness,
    text: () => doc.getText('code').toString(),
    close() {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** The client ids of the remote cursors drawn in `page`'s editor. */
const cursorIds = (page) =>
  page.$$eval('.monaco-editor [class*="yRemoteSelectionHead-"]', (els) =>
    [...new Set(els.map((e) => /yRemoteSelectionHead-(\d+)/.exec(e.className)?.[1]).filter(Boolean))].map(Number).sort(),
  );

/** The text of the editor line in `page` that holds `clientId`'s cursor (Monaco renders spaces as U+00A0). */
const cursorLine = (page, clientId) =>
  page.evaluate(
    (id) => document.querySelector(`.yRemoteSelectionHead-${id}`)?.closest('.view-line')?.textContent?.replace(/\u00a0/g, ' ') ?? null,
    clientId,
  );

const participantNames = (page) => page.$$eval('[data-testid=participant] .participant-name', (els) => els.map((e) => e.textContent).sort());

/** Types a line in `from`, leaves the cursor at its end; `to` must draw that cursor on it. */
async function cursorFollows(from, to, fromId, marker) {
  await typeLine(from.page, marker);
  await from.page.keyboard.press('ArrowUp');
  await from.page.keyboard.press('End');
  await until(`${from.name}'s text in ${to.name}`, async () => (await editorText(to.page))?.includes(marker), 10_000);
  await until(
    `${from.name}'s cursor drawn on the line just typed, in ${to.name}`,
    async () => (await cursorLine(to.page, fromId))?.includes(marker),
    10_000,
  );
}

export async function scenarioMalformedAwareness({ inst1, inst2 }, state, runId) {
  const { a, b, roomId } = state;
  if (!roomId) throw new Error('needs the room from the first scenario');
  const [aId, bId] = await Promise.all([a, b].map((p) => p.page.evaluate(() => window.__pairprog.clientId)));
  const errorsBefore = [a.errors.length, b.errors.length];

  const hostile = [];
  try {
    const states = [
      { selection: { anchor: {}, head: {} } }, // the state from the bug report
      { user: { name: 'Mallory Anchor', color: '#e5484d' }, selection: { anchor: {}, head: {} } },
      // Long, yet under the server's limits.awareness_state_bytes (8 KiB), so it is relayed.
      { user: { name: `Mallory ${'M'.repeat(2_000)}`, color: '#46a758' } },
      { user: { name: 'Mallory Colour', color: 'red;}body{display:none' } },
      { user: { name: 'Mallory Clock', color: '#0090ff' }, selection: { anchor: { item: { client: 'x', clock: {} } }, head: { tname: 'code', assoc: 'x' } } },
    ];
    for (const [i, s] of states.entries()) {
      const client = await yjsClient(i % 2 ? inst2 : inst1, roomId);
      client.awareness.setLocalState(s);
      hostile.push(client);
    }
    const observer = await yjsClient(inst2, roomId);
    hostile.push(observer);
    const ids = hostile.slice(0, states.length).map((c) => c.doc.clientID);
    await until('the server to relay every malformed state', () => ids.every((id) => observer.awareness.getStates().has(id)), 10_000);
    await sleep(500);
    log(`injected ${ids.length} malformed awareness states`);

    await cursorFollows(a, b, aId, `# Alice after the injection ${runId}`);
    await cursorFollows(b, a, bId, `# Bob after the injection ${runId}`);
    for (const [who, other, otherId] of [[a, b, bId], [b, a, aId]]) {
      const drawn = await cursorIds(who.page);
      if (JSON.stringify(drawn) !== JSON.stringify([otherId])) throw new Error(`${who.name} draws cursors ${JSON.stringify(drawn)}, expected only ${other.name}'s (${otherId})`);
      const names = await participantNames(who.page);
      if (JSON.stringify(names) !== JSON.stringify(['Alice Otter', 'Bob Panda'])) throw new Error(`${who.name} lists ${JSON.stringify(names).slice(0, 200)}`);
      const label = await who.page.evaluate(
        (id) => getComputedStyle(document.querySelector(`.yRemoteSelectionHead-${id}`), '::after').content,
        otherId,
      );
      if (!label.includes(other.name)) throw new Error(`${who.name} labels ${other.name}'s cursor ${label}`);
    }
    const errors = [a.errors.slice(errorsBefore[0]), b.errors.slice(errorsBefore[1])].flat();
    if (errors.length) throw new Error(`page errors since the injection: ${errors.slice(0, 3).join(' | ')}`);
  } finally {
    for (const client of hostile) client.close();
  }
}

export async function scenarioLoneSurrogates({ inst1, inst2 }) {
  const res = await fetch(`${inst1.url}/api/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ language: 'python' }),
  });
  if (!res.ok) throw new Error(`POST /api/rooms: ${res.status}`);
  const { roomId } = await res.json();
  const writer = await yjsClient(inst1, roomId);
  const reader = await yjsClient(inst2, roomId);
  const clients = [writer, reader];
  try {
    const code = writer.doc.getText('code');
    code.insert(code.length, 'lone = "a\uD800b\uDC00c"\n');
    // What lib0's encoder put on the wire: the surrogates as U+FFFD.
    const sent = new Y.Doc();
    Y.applyUpdate(sent, Y.encodeStateAsUpdate(writer.doc));
    const encoded = sent.getText('code').toString();
    if (!encoded.endsWith('lone = "a\uFFFDb\uFFFDc"\n')) throw new Error(`lib0 encoded ${JSON.stringify(encoded)}`);
    if (encoded.length !== writer.text().length) throw new Error('U+FFFD changed the UTF-16 length');
    if (!writer.text().includes('\uD800')) throw new Error("the writer's own text lost its surrogate");

    await until('the other instance to relay what the encoder sent', () => reader.text() === encoded, 10_000);
    await until('GET on the other instance to answer it exactly', async () => (await getRoom(inst2, roomId)).code === encoded, 10_000);
    for (const c of clients.splice(0)) c.close();
    const fresh = await yjsClient(inst1, roomId);
    clients.push(fresh);
    if (fresh.text() !== encoded) throw new Error(`a fresh client loads ${JSON.stringify(fresh.text())}`);
  } finally {
    for (const c of clients) c.close();
  }
}
