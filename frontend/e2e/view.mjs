// End-to-end scenarios for view links and signed tokens; run.mjs runs them
// after its own, passing its state in `kit` ({ state, outDir, runId, inst3 }).
import crypto from 'node:crypto';
import path from 'node:path';
import { connState, editorText, getRoom, newParticipant, sleep, typeLine, until, waitConnected, waitForEditor } from './support.mjs';

/** The HS256 secret instance 3 is started with. */
export const TOKEN_SECRET = 'e2e-secret-0123456789abcdefghijklmnop';

/** Mints a token as a product's backend would (the README's example). */
export function mintToken(secret, claims) {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  const signature = crypto.createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

/** Records every WebSocket close code the page sees, in `window.__closes`. */
async function recordCloses(context) {
  await context.addInitScript(() => {
    window.__closes = [];
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('close', (e) => window.__closes.push(e.code));
      }
    };
  });
}

const closes = (page) => page.evaluate(() => window.__closes);

export async function scenarioViewLink({ inst1, inst2, browser }, kit) {
  const { state, outDir, runId } = kit;
  const { a, roomId } = state;
  if (!roomId) throw new Error('needs the room from the first scenario');
  const { viewId, role } = await getRoom(inst1, roomId);
  if (role !== 'edit' || !viewId || viewId === roomId) throw new Error(`GET by the edit id: role ${role}, viewId ${viewId}`);

  // The editor's page offers the view link.
  const offered = await a.page.getAttribute('[data-testid=copy-view-link]', 'data-link');
  if (!offered?.endsWith(`/r/${viewId}`)) throw new Error(`A's view link is ${offered}`);

  const v = await newParticipant(browser, 'Vic Viewer', '#46a758');
  state.v = v;
  await recordCloses(v.context);
  await v.page.goto(`${inst2.url}/r/${viewId}`);
  await waitForEditor(v.page);
  await waitConnected(v.page, 'V');
  await v.page.waitForSelector('[data-testid=view-only]');
  if (!(await v.page.evaluate(() => window.__pairprog.readOnly()))) throw new Error("V's editor is not read-only");
  if (await v.page.$('[data-testid=copy-link]')) throw new Error('V is offered the edit link');
  const shown = await v.page.evaluate(() => document.body.innerText + document.title + window.location.href);
  if (shown.includes(roomId)) throw new Error("V's page shows the edit id");

  // A's typing (and cursor) reach V.
  const marker = `# typed while Vic watched ${runId}`;
  await typeLine(a.page, marker);
  await until("A's text in V", async () => (await editorText(v.page))?.includes(marker), 10_000);
  await until(
    "A's labelled cursor in V",
    () =>
      v.page.evaluate((name) => {
        const heads = [...document.querySelectorAll('.monaco-editor [class*="yRemoteSelectionHead-"]')];
        return heads.some((head) => getComputedStyle(head, '::after').content.includes(name));
      }, a.name),
    10_000,
  );

  // V tries to type: nothing changes, here or anywhere.
  const before = await editorText(v.page);
  await v.page.click('.monaco-editor .view-lines');
  await v.page.keyboard.press('Control+End');
  await v.page.keyboard.type('VIEWER TYPED', { delay: 10 });
  await v.page.keyboard.press('Enter');
  await sleep(1000);
  if ((await editorText(v.page)) !== before) throw new Error("V's typing changed its editor");
  if ((await editorText(a.page)).includes('VIEWER TYPED')) throw new Error("V's typing reached A");
  if ((await getRoom(inst2, roomId)).code.includes('VIEWER TYPED')) throw new Error("V's typing reached the server");

  // A's participant list marks V as viewing.
  await until(
    'V marked as viewing in A',
    () =>
      a.page.$$eval('[data-testid=participant]', (items) =>
        items.some((li) => li.textContent.includes('Vic Viewer') && li.querySelector('[data-testid=viewing]')),
      ),
    10_000,
  );
  await v.page.screenshot({ path: path.join(outDir, 'room-view-only.png') });
  await a.page.screenshot({ path: path.join(outDir, 'room-with-viewer.png') });

  // The browser viewer's own sync step 2 was never refused.
  const codes = await closes(v.page);
  if (codes.length) throw new Error(`V's sockets closed with ${JSON.stringify(codes)}`);
  if ((await connState(v.page)) !== 'connected') throw new Error('V is no longer connected');
}

export async function scenarioTokens({ browser }, kit) {
  const { state, runId, inst3 } = kit;
  const { a, roomId } = state;
  if (!roomId) throw new Error('needs the room from the first scenario');
  const exp = (secs) => Math.floor(Date.now() / 1000) + secs;

  // Without a token, instance 3 lets nobody in.
  const anonymous = await fetch(`${inst3.url}/api/rooms/${roomId}`);
  if (anonymous.status !== 401) throw new Error(`GET without a token on instance 3: ${anonymous.status}`);

  const t = await newParticipant(browser, 'Local Name', '#ab4aba');
  state.t = t;
  await recordCloses(t.context);
  let minted = 0;
  await t.page.exposeFunction('__mintToken', () => {
    minted++;
    return mintToken(TOKEN_SECRET, { room: roomId, role: 'edit', name: 'Tess Token', exp: exp(600) });
  });
  // The embedding page's hook, as the README documents it.
  await t.context.addInitScript(() => {
    window.pairprog = { refreshToken: () => window.__mintToken() };
  });
  const short = mintToken(TOKEN_SECRET, { room: roomId, role: 'edit', name: 'Tess Token', exp: exp(6) });
  await t.page.goto(`${inst3.url}/r/${roomId}?token=${short}`);
  await waitForEditor(t.page);
  await waitConnected(t.page, 'T');

  // The token runs out: the server closes with 4401, the app asks the page, reconnects.
  await until('the short token to be renewed through the hook', async () => minted >= 1, 20_000);
  await until('T to see a 4401 close', async () => (await closes(t.page)).includes(4401), 5_000);
  await waitConnected(t.page, 'T again');

  const fromA = `# A to the token holder ${runId}`;
  await typeLine(a.page, fromA);
  await until("A's text in T", async () => (await editorText(t.page))?.includes(fromA), 10_000);
  const fromT = `# the token holder to A ${runId}`;
  await typeLine(t.page, fromT);
  await until("T's text in A", async () => (await editorText(a.page))?.includes(fromT), 10_000);
  // Others see the token's name, not the one T's browser chose.
  await until(
    "T's token name in A's participants",
    async () => (await a.page.$$eval('[data-testid=participant] .participant-name', (els) => els.map((e) => e.textContent))).includes('Tess Token'),
    10_000,
  );
}
