// The history scenario: versions named, compared in Monaco's diff editor
// (read-only), downloaded and restored in the browser, with participants on
// three instances (the third with tokens on) converging to the restore
// without a reload; a viewer browses the history but cannot restore.
// run.mjs passes its state in `kit` ({ state, outDir, runId, inst3 }).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { editorText, newParticipant, typeLine, until, waitConnected, waitForEditor } from './support.mjs';
import { TOKEN_SECRET, mintToken } from './view.mjs';

export async function scenarioHistory({ browser }, kit) {
  const { state, runId, outDir, inst3 } = kit;
  const { a, b, v, roomId } = state;
  if (!roomId) throw new Error('needs the room from the first scenario');
  // Instance 3 lets nobody in without a token.
  const token = mintToken(TOKEN_SECRET, { room: roomId, role: 'edit', exp: Math.floor(Date.now() / 1000) + 600 });
  const c = await newParticipant(browser, 'Cleo Heron', '#30a46c');
  state.c = c;
  await c.page.goto(`${inst3.url}/r/${roomId}?token=${token}`);
  await waitForEditor(c.page);
  await waitConnected(c.page, 'C');

  // A names the current version in the History panel.
  await a.page.click('[data-testid=history-toggle]');
  await a.page.waitForSelector('[data-testid=history-panel]');
  const named = `before refactor ${runId}`;
  await a.page.fill('[data-testid=version-name]', named);
  await a.page.click('[data-testid=version-save]');
  await until('the saved notice', async () => (await a.page.textContent('[data-testid=history-notice]'))?.includes(named), 10_000);
  const namedItem = a.page.locator('[data-testid=version-item]', { hasText: named });
  await namedItem.waitFor({ timeout: 10_000 });
  const v1 = await editorText(a.page);

  // More typing, seen by everyone; after 2 quiet seconds it is a checkpoint.
  const later = `# refactored by Alice ${runId}`;
  await typeLine(a.page, later);
  for (const [who, p] of [['B', b.page], ['C', c.page]]) {
    await until(`${who} to see the later line`, async () => (await editorText(p))?.includes(later), 10_000);
  }
  const namedId = Number(await namedItem.getAttribute('data-version-id'));
  await until(
    'an automatic checkpoint of the later line, naming Alice, at the top of the list',
    async () => {
      const top = a.page.locator('[data-testid=version-item]').first();
      const [id, label] = [Number(await top.getAttribute('data-version-id')), await top.textContent()];
      return id > namedId && label.startsWith('Checkpoint') && label.includes('Alice Otter') && label.includes('Cleo Heron');
    },
    20_000,
  );
  const now = await editorText(a.page);

  // Choosing the named version shows it against now, read-only, side by side.
  await namedItem.click();
  await a.page.waitForSelector('[data-testid=version-diff] .monaco-diff-editor', { timeout: 15_000 });
  await until('the diff editor handle', () => a.page.evaluate(() => Boolean(window.__pairprogDiff)), 10_000);
  const diff = await until(
    'the diff to be computed',
    async () => {
      const d = await a.page.evaluate(() => ({
        original: window.__pairprogDiff.original(),
        modified: window.__pairprogDiff.modified(),
        readOnly: window.__pairprogDiff.readOnly(),
        changes: window.__pairprogDiff.lineChanges(),
      }));
      return d.changes ? d : null;
    },
    10_000,
  );
  if (diff.original !== v1) throw new Error(`the left side is not the named version: ${JSON.stringify(diff.original)}`);
  if (diff.modified !== now) throw new Error(`the right side is not the current text: ${JSON.stringify(diff.modified)}`);
  if (!diff.readOnly) throw new Error('the diff editor is editable');
  if (await a.page.locator('[data-testid=version-diff] .monaco-diff-editor.side-by-side').count() !== 1) throw new Error('the diff is not side by side');
  // Typing into the comparison changes nothing.
  await a.page.click('[data-testid=version-diff] .modified-in-monaco-diff-editor .view-lines');
  await a.page.keyboard.type('zzz');
  if ((await editorText(b.page)) !== now) throw new Error('typing in the read-only diff reached the document');
  await a.page.screenshot({ path: path.join(outDir, 'history-diff.png') });

  // The version downloads as a .py file holding its text.
  const [download] = await Promise.all([a.page.waitForEvent('download'), a.page.click('[data-testid=version-download]')]);
  if (!/^[A-Za-z0-9_-]+-v\d+\.py$/.test(download.suggestedFilename())) throw new Error(`download named ${download.suggestedFilename()}`);
  const file = readFileSync(await download.path(), 'utf8');
  if (file !== v1) throw new Error(`the download holds ${JSON.stringify(file)}`);

  // Restore: every editor on every instance converges to it, no reload.
  await a.page.click('[data-testid=version-restore]');
  await until('the restored notice', async () => (await a.page.textContent('[data-testid=history-notice]'))?.includes('Restored'), 15_000);
  for (const [who, p] of [['A', a.page], ['B', b.page], ['C', c.page]]) {
    await until(`${who}'s editor to hold the restored text`, async () => (await editorText(p)) === v1, 15_000);
  }
  const onInst3 = async () => {
    const res = await fetch(`${inst3.url}/api/rooms/${roomId}`, { headers: { Authorization: `Bearer ${token}` } });
    return res.ok ? (await res.json()).code : null;
  };
  await until('GET on instance 3 to agree', async () => (await onInst3()) === v1, 10_000);
  await a.page.locator('[data-testid=version-item]', { hasText: 'Restored #' }).first().waitFor({ timeout: 10_000 });
  await a.page.screenshot({ path: path.join(outDir, 'history-restored.png') });
  // The editors still work after it.
  const after = `# after the restore ${runId}`;
  await typeLine(b.page, after);
  await until("B's line in C", async () => (await editorText(c.page))?.includes(after), 10_000);

  // The viewer (view link, instance 2) browses and compares, but cannot name or restore.
  if (v) {
    await v.page.click('[data-testid=history-toggle]');
    const item = v.page.locator('[data-testid=version-item]', { hasText: named });
    await item.waitFor({ timeout: 10_000 });
    if (await v.page.$('[data-testid=version-name]')) throw new Error('the viewer is offered to name a version');
    await item.click();
    await v.page.waitForSelector('[data-testid=version-diff] .monaco-diff-editor', { timeout: 15_000 });
    await v.page.waitForSelector('[data-testid=version-download]');
    if (await v.page.$('[data-testid=version-restore]')) throw new Error('the viewer is offered a restore');
    const shown = await v.page.evaluate(() => document.body.innerText + window.location.href);
    if (shown.includes(roomId)) throw new Error("the viewer's history shows the edit id");
  }
}
