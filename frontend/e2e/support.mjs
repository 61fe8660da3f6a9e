// Helpers shared by the end-to-end scenarios: polling, timeouts and driving
// a participant's browser page.

export const log = (...args) => console.log('  ·', ...args);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value, or throws `what` after `ms`. */
export async function until(what, fn, ms = 10_000, every = 200) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (${last.message})` : ''}`);
    await sleep(every);
  }
}

export function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([
    promise.finally(() => clearTimeout(t)),
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

export async function getRoom(instance, roomId) {
  const res = await fetch(`${instance.url}/api/rooms/${roomId}`);
  if (!res.ok) throw new Error(`GET /api/rooms/${roomId} on ${instance.name}: ${res.status}`);
  return res.json();
}

// ---------------------------------------------------------------- browser helpers

export async function newParticipant(browser, name, color) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(
    ([n, c]) => {
      if (!localStorage.getItem('pairprog.user')) localStorage.setItem('pairprog.user', JSON.stringify({ name: n, color: c, theme: 'dark' }));
    },
    [name, color],
  );
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = [];
  page.on('pageerror', (err) => {
    errors.push(err.message);
    log(`${name} page error: ${err.message}`);
  });
  return { name, context, page, errors };
}

export const editorText = (page) => page.evaluate(() => window.__pairprog?.editorText() ?? null);
export const connState = (page) => page.getAttribute('[data-testid=connection-state]', 'data-state');

export async function waitForEditor(page) {
  await page.waitForSelector('.monaco-editor .view-lines', { timeout: 20_000 });
  await until('the editor handle', () => page.evaluate(() => Boolean(window.__pairprog)), 10_000);
}

export async function waitConnected(page, who, ms = 15_000) {
  await until(`${who} to be connected`, async () => (await connState(page)) === 'connected', ms);
}

/** Types a comment line at the end of the document (comments avoid auto-closing and suggestion widgets). */
export async function typeLine(page, text) {
  await page.click('.monaco-editor .view-lines');
  await page.keyboard.press('Control+End');
  await page.keyboard.press('End');
  const current = (await editorText(page)) ?? '';
  if (current !== '' && !current.endsWith('\n')) await page.keyboard.press('Enter');
  await page.keyboard.type(text, { delay: 15 });
  await page.keyboard.press('Escape');
  await page.keyboard.press('Enter');
}
