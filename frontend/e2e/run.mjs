// End-to-end test: three pairprog instances sharing Postgres and Redis,
// browser contexts each talking to a different instance.
//
//   PAIRPROG_BIN            server binary     (default: <repo>/target/debug/pairprog)
//   PAIRPROG_TEST_PG_URL    admin Postgres URL (default: postgres://postgres@127.0.0.1:5432/postgres)
//   PAIRPROG_TEST_REDIS_URL Redis URL          (default: redis://127.0.0.1:6379)
//   CHROMIUM                browser binary     (default: /usr/bin/chromium)
//
// Needs `npm run build` first (the instances serve frontend/dist).
// Prints PASS/FAIL per scenario and ends with "N passed, M failed".
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, createWriteStream, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';
import { chromium } from 'playwright-core';
import { connState, editorText, getRoom, log, newParticipant, sleep, typeLine, until, waitConnected, waitForEditor, withTimeout } from './support.mjs';
import { scenarioLoneSurrogates, scenarioMalformedAwareness } from './hostile.mjs';
import { TOKEN_SECRET, scenarioTokens, scenarioViewLink } from './view.mjs';
import { scenarioHistory } from './history.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const frontendDir = path.resolve(here, '..');
const repoRoot = path.resolve(frontendDir, '..');
const distDir = path.join(frontendDir, 'dist');
const outDir = path.join(repoRoot, 'target', 'e2e');

const BIN = process.env.PAIRPROG_BIN || path.join(repoRoot, 'target', 'debug', 'pairprog');
const PG_ADMIN = process.env.PAIRPROG_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.PAIRPROG_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OVERALL_TIMEOUT_MS = 300_000;

const runId = `${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;
const dbName = `pairprog_e2e_${runId}`;
const redisPrefix = `pairprog_e2e_${runId}`;
const databaseUrl = (() => {
  const u = new URL(PG_ADMIN);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

// ---------------------------------------------------------------- servers

class Instance {
  constructor(name, port = 0, env = {}) {
    this.name = name;
    this.port = port;
    this.env = env;
    this.proc = null;
    this.starts = 0;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    const logFile = createWriteStream(path.join(outDir, `${this.name}.log`), { flags: this.starts++ ? 'a' : 'w' });
    const proc = spawn(BIN, [], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(this.port),
        DATABASE_URL: databaseUrl,
        REDIS_URL: REDIS,
        PAIRPROG__REDIS__PREFIX: redisPrefix,
        PAIRPROG__SERVER__STATIC_DIR: distDir,
        // Checkpoints after 2 quiet seconds, so the history scenario need not wait 30.
        PAIRPROG__HISTORY__QUIET_SECS: '2',
        NO_COLOR: '1',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    this.exited = exited;
    const port = await withTimeout(
      new Promise((resolve, reject) => {
        let buf = '';
        const onData = (chunk) => {
          logFile.write(chunk);
          buf += chunk.toString();
          // eslint-disable-next-line no-control-regex
          const m = /listening on http:\/\/[^\s:]+:(\d+)/.exec(buf.replace(/\x1b\[[0-9;]*m/g, ''));
          if (m) resolve(Number(m[1]));
        };
        proc.stdout.on('data', onData);
        proc.stderr.on('data', onData);
        proc.once('error', reject);
        exited.then(({ code, signal }) => reject(new Error(`${this.name} exited early (code ${code}, signal ${signal}); see target/e2e/${this.name}.log`)));
      }),
      45_000,
      `${this.name} to print "listening on"`,
    );
    this.port = port;
    await until(`${this.name} /healthz`, async () => (await fetch(`${this.url}/healthz`)).ok, 15_000);
    log(`${this.name} listening on ${this.url}`);
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    try {
      await withTimeout(this.exited, 15_000, `${this.name} to exit after SIGTERM`);
    } catch {
      this.proc.kill('SIGKILL');
      await withTimeout(this.exited, 5_000, `${this.name} to die`);
    }
  }
}

function psql(sql) {
  execFileSync('psql', [PG_ADMIN, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

function cleanRedis() {
  try {
    const keys = execFileSync('redis-cli', ['-u', REDIS, '--scan', '--pattern', `${redisPrefix}*`], { timeout: 10_000 })
      .toString()
      .split('\n')
      .filter(Boolean);
    for (let i = 0; i < keys.length; i += 500) {
      execFileSync('redis-cli', ['-u', REDIS, 'DEL', ...keys.slice(i, i + 500)], { stdio: 'ignore', timeout: 10_000 });
    }
  } catch {
    // redis-cli missing or Redis gone: leftover keys under a unique prefix are harmless
  }
}

// ---------------------------------------------------------------- scenarios

const state = {};

async function scenarioCreateAndJoin({ browser, inst1, inst2 }) {
  const a = await newParticipant(browser, 'Alice Otter', '#e5484d');
  const b = await newParticipant(browser, 'Bob Panda', '#0090ff');
  Object.assign(state, { a, b });
  await a.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: inst1.url });

  await a.page.goto(`${inst1.url}/`);
  await a.page.waitForSelector('[data-testid=create-room]');
  await a.page.screenshot({ path: path.join(outDir, 'start-page.png') });

  await a.page.selectOption('[data-testid=create-language]', 'python');
  await a.page.click('[data-testid=create-room]');
  await a.page.waitForURL(/\/r\/[A-Za-z0-9_-]{6,64}$/, { timeout: 15_000 });
  const roomId = new URL(a.page.url()).pathname.split('/').pop();
  state.roomId = roomId;
  log(`room ${roomId}`);
  await waitForEditor(a.page);
  await waitConnected(a.page, 'A');

  // The share link, via the button and the clipboard; B opens it on instance 2.
  await a.page.click('[data-testid=copy-link]');
  let link = await a.page.evaluate(() => navigator.clipboard.readText()).catch(() => '');
  if (!link.includes(`/r/${roomId}`)) {
    log(`clipboard gave ${JSON.stringify(link)}; using the page URL`);
    link = a.page.url();
  }
  const linkOnInst2 = new URL(new URL(link).pathname, inst2.url).toString();
  await b.page.goto(`${inst2.url}/`);
  await b.page.fill('[data-testid=join-input]', linkOnInst2);
  await b.page.click('[data-testid=join-room]');
  await b.page.waitForURL(`**/r/${roomId}`);
  await waitForEditor(b.page);
  await waitConnected(b.page, 'B');

  const marker = `# hello from Alice ${runId}`;
  await typeLine(a.page, marker);
  await a.page.keyboard.press('Enter'); // keeps A's cursor label off the marker in the screenshot
  await until("A's text in B", async () => (await editorText(b.page))?.includes(marker), 10_000);

  // A's cursor, labelled with A's name, in B's editor.
  await until(
    "A's labelled cursor in B",
    () =>
      b.page.evaluate((name) => {
        const head = document.querySelector('.monaco-editor [class*="yRemoteSelectionHead-"]');
        return head && getComputedStyle(head, '::after').content.includes(name);
      }, a.name),
    10_000,
  );
  const names = await b.page.$$eval('[data-testid=participant] .participant-name', (els) => els.map((e) => e.textContent));
  if (!names.includes('Alice Otter') || !names.includes('Bob Panda')) throw new Error(`B's participants list: ${JSON.stringify(names)}`);
  await until(
    "B to show the server's connection count (2)",
    async () => /^2 connections/.test((await b.page.textContent('[data-testid=connection-count]')) ?? ''),
    15_000,
  );
  await b.page.screenshot({ path: path.join(outDir, 'room-two-participants.png') });
}

async function scenarioLanguage({ inst2 }) {
  const { a, b, roomId } = state;
  if (!roomId) throw new Error('needs the room from the first scenario');
  await a.page.selectOption('[data-testid=room-language]', 'rust');
  await until("B's language selector to show Rust", async () => (await b.page.inputValue('[data-testid=room-language]')) === 'rust', 10_000);
  await until("B's editor to highlight Rust", async () => (await b.page.evaluate(() => window.__pairprog?.editorLanguage())) === 'rust', 5_000);
  try {
    await until('the server to report rust', async () => (await getRoom(inst2, roomId)).language === 'rust', 5_000);
  } catch (err) {
    log(`note: ${err.message}`);
  }
  // back to Python for the rest, so '#' comments stay comments
  await a.page.selectOption('[data-testid=room-language]', 'python');
  await until("B's language selector to show Python", async () => (await b.page.inputValue('[data-testid=room-language]')) === 'python', 10_000);
}

async function scenarioRestart({ inst1, inst2 }) {
  const { a, b, roomId } = state;
  if (!roomId) throw new Error('needs the room from the first scenario');

  await inst1.stop();
  log('instance 1 stopped');
  await until('A to notice the lost connection', async () => (await connState(a.page)) !== 'connected', 15_000);
  log(`A shows "${await connState(a.page)}"`);

  const fromB = `# Bob typed while Alice was away ${runId}`;
  const fromA = `# Alice typed offline ${runId}`;
  await typeLine(b.page, fromB);
  await typeLine(a.page, fromA);
  await sleep(500);

  await inst1.start();
  log('instance 1 restarted on the same port');
  await waitConnected(a.page, 'A', 30_000);

  const both = (t) => Boolean(t && t.includes(fromA) && t.includes(fromB));
  await until('A to have both edits', async () => both(await editorText(a.page)), 15_000);
  await until('B to have both edits', async () => both(await editorText(b.page)), 15_000);
  const [ta, tb] = [await editorText(a.page), await editorText(b.page)];
  if (ta !== tb) throw new Error(`A and B differ:\nA: ${JSON.stringify(ta)}\nB: ${JSON.stringify(tb)}`);
  for (const inst of [inst1, inst2]) {
    await until(`GET /api/rooms/${roomId} on ${inst.name} to hold the converged text`, async () => (await getRoom(inst, roomId)).code === ta, 10_000);
  }
}

// What the scenarios in view.mjs and history.mjs need of this run.
const kit = (ctx) => ({ state, outDir, runId, inst3: ctx.inst3 });

// Autocomplete in its own room and browser context, so it depends on no
// other scenario: the ranked list (Tab inserts), the ghost text of the best
// multi-line snippet (Tab accepts, Escape dismisses).
async function scenarioAutocomplete({ browser, inst2 }) {
  const c = await newParticipant(browser, 'Carol Heron', '#30a46c');
  try {
    const { page } = c;
    await page.goto(`${inst2.url}/`);
    await page.selectOption('[data-testid=create-language]', 'python');
    await page.click('[data-testid=create-room]');
    await page.waitForURL(/\/r\/[A-Za-z0-9_-]{6,64}$/, { timeout: 15_000 });
    await waitForEditor(page);
    await waitConnected(page, 'C');
    const lastLine = async () => ((await editorText(page)) ?? '').split('\n').pop();
    const widget = () => page.locator('.suggest-widget.visible');
    const ghost = () => page.locator('.monaco-editor .ghost-text, .monaco-editor .ghost-text-decoration');

    await page.click('.monaco-editor .view-lines');
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    // One line, so Monaco's auto-indent after ':' stays out of the way.
    await page.keyboard.insertText('def greet_user(name): return name\n');

    // The list: a function the document defines, offered for its prefix.
    await page.keyboard.type('gre', { delay: 40 });
    await widget().waitFor({ timeout: 10_000 });
    await until('greet_user first in the list', async () => {
      const first = await page.locator('.suggest-widget.visible .monaco-list-row').first().getAttribute('aria-label');
      return first?.startsWith('greet_user');
    });
    await page.screenshot({ path: path.join(outDir, 'autocomplete-list.png') });
    await page.keyboard.press('Tab');
    await until('Tab to insert greet_user', async () => (await lastLine()) === 'greet_user', 5_000);

    // Ghost text for `def `, dismissed with Escape: the text stays as typed.
    await page.keyboard.press('Enter');
    await page.keyboard.type('def ', { delay: 40 });
    await ghost().first().waitFor({ timeout: 10_000 });
    for (let i = 0; i < 3 && ((await ghost().count()) > 0 || (await widget().count()) > 0); i++) {
      await page.keyboard.press('Escape');
      await sleep(200);
    }
    if ((await ghost().count()) > 0) throw new Error('Escape left the ghost text');
    if ((await lastLine()) !== 'def ') throw new Error(`Escape changed the line: ${JSON.stringify(await lastLine())}`);

    // Ghost text for `class `, accepted with Tab: the whole block, indented.
    for (let i = 0; i < 4; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('class ', { delay: 40 });
    await ghost().first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(outDir, 'autocomplete-ghost.png') });
    await page.keyboard.press('Tab');
    const block = 'class ClassName:\n    def __init__(self):\n        pass';
    await until('Tab to insert the class snippet', async () => ((await editorText(page)) ?? '').endsWith(`greet_user\n${block}`), 5_000);
  } finally {
    await c.context.close();
  }
}

// ---------------------------------------------------------------- main

async function main() {
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (/^failure-.*\.png$/.test(f)) rmSync(path.join(outDir, f));
  const scenarios = [
    ['A creates a room on instance 1, B joins by share link on instance 2, sees text, cursor and count', scenarioCreateAndJoin],
    ['language change in A reaches B', scenarioLanguage],
    ['instance 1 restarts; edits from both sides converge with nothing lost', scenarioRestart],
    ['malformed remote awareness states are ignored: cursors, names and typing keep working', (ctx) => scenarioMalformedAwareness(ctx, state, runId)],
    ['a lone surrogate from a Yjs client is kept as its encoder sent it (U+FFFD)', scenarioLoneSurrogates],
    ['a view link on instance 2 is read-only, watches A live, and V is marked viewing', (c) => scenarioViewLink(c, kit(c))],
    ['a token that expires mid-session is renewed through the page hook (instance 3, tokens on)', (c) => scenarioTokens(c, kit(c))],
    ['autocomplete: the ranked list inserts with Tab; ghost text is accepted with Tab, dismissed with Escape', scenarioAutocomplete],
    ['A names a version, views a read-only diff, downloads and restores it; B and C on instances 2 and 3 converge', (c) => scenarioHistory(c, kit(c))],
  ];
  let passed = 0;
  let failed = 0;
  const cleanups = [];
  const watchdog = setTimeout(() => {
    console.log(`FAIL e2e: overall timeout of ${OVERALL_TIMEOUT_MS / 1000} s`);
    console.log(`${passed} passed, ${scenarios.length - passed} failed`);
    process.exit(1);
  }, OVERALL_TIMEOUT_MS);

  let ctx = null;
  try {
    if (!existsSync(path.join(distDir, 'index.html'))) throw new Error(`${distDir}/index.html is missing: run npm run build first`);
    if (!existsSync(BIN)) throw new Error(`server binary ${BIN} not found: build it or set PAIRPROG_BIN`);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install the chromium package or set CHROMIUM`);
    psql(`CREATE DATABASE ${dbName}`);
    cleanups.push(() => psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
    cleanups.push(cleanRedis);
    log(`database ${dbName}, redis prefix ${redisPrefix}`);

    const inst1 = new Instance('instance-1');
    const inst2 = new Instance('instance-2');
    const inst3 = new Instance('instance-3', 0, { PAIRPROG__AUTH__TOKEN_SECRET: TOKEN_SECRET });
    cleanups.unshift(() => inst3.stop(), () => inst2.stop(), () => inst1.stop());
    await inst1.start();
    await inst2.start();
    await inst3.start();

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      timeout: 30_000,
    });
    cleanups.unshift(() => browser.close());
    ctx = { browser, inst1, inst2, inst3 };
  } catch (err) {
    console.log(`FAIL e2e setup: ${err.message}`);
  }

  for (const [name, run] of scenarios) {
    const t0 = Date.now();
    try {
      if (!ctx) throw new Error('setup failed');
      await withTimeout(run(ctx), 120_000, name);
      passed++;
      console.log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${name}: ${err.message}`);
      for (const who of ['a', 'b', 'c', 'v', 't']) {
        const page = state[who]?.page;
        if (page) await page.screenshot({ path: path.join(outDir, `failure-${failed}-${who}.png`) }).catch(() => {});
      }
    }
  }

  for (const fn of cleanups) {
    try {
      await withTimeout(Promise.resolve().then(fn), 20_000, 'cleanup');
    } catch (err) {
      log(`cleanup: ${err.message}`);
    }
  }
  clearTimeout(watchdog);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
