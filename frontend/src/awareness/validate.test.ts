import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { MAX_REMOTE_NAME, safeColor, validateState } from './validate';
import { ValidatedAwareness } from './validated';

/** A document with some text, and a selection in it as it crosses the wire (JSON). */
function room() {
  const doc = new Y.Doc();
  const text = doc.getText('code');
  text.insert(0, 'hello world\n');
  const wire = (index: number) => JSON.parse(JSON.stringify(Y.createRelativePositionFromTypeIndex(text, index)));
  return { doc, text, wire, target: { textName: 'code', text } };
}

/** What y-monaco does with a state's selection on every redraw. */
function monacoResolves(state: { selection?: { anchor: unknown; head: unknown } }, doc: Y.Doc) {
  const { anchor, head } = state.selection!;
  return [anchor, head].map((p) => Y.createAbsolutePositionFromRelativePosition(p as Y.RelativePosition, doc)?.index);
}

describe('validateState', () => {
  it('keeps a well-formed state: trimmed name, colour, a selection that resolves', () => {
    const { doc, wire, target } = room();
    const state = { user: { name: '  Brave Panda ', color: '#E5484D', colorLight: 'x' }, selection: { anchor: wire(2), head: wire(12) }, extra: 1 };
    const safe = validateState(state, target);
    expect(safe?.user).toEqual({ name: 'Brave Panda', color: '#e5484d' });
    expect(monacoResolves(safe!, doc)).toEqual([2, 12]);
    expect(safe).not.toHaveProperty('extra');
    expect(validateState({}, target)).toEqual({});
    expect(validateState({ user: { name: 'No Colour' }, selection: null }, target)).toEqual({ user: { name: 'No Colour', color: '#888888' } });
  });

  it('refuses a malformed selection (the one that broke y-monaco for everyone)', () => {
    const { doc, wire, target } = room();
    const broken = { selection: { anchor: {}, head: {} } };
    expect(() => monacoResolves(broken, doc)).toThrow();
    expect(validateState(broken, target)).toBeNull();
    const good = wire(3);
    for (const bad of [
      { anchor: good },
      { anchor: good, head: 'x' },
      { anchor: good, head: { ...good, item: { client: 'a', clock: 1 } } },
      { anchor: good, head: { ...good, item: { client: 1, clock: -1 } } },
      { anchor: good, head: { ...good, item: { client: 1, clock: 1.5 } } },
      { anchor: good, head: { ...good, assoc: 'left' } },
      { anchor: good, head: { type: { client: 1, clock: 0 }, tname: null, item: null, assoc: 0 } },
      { anchor: good, head: { type: null, tname: 'meta', item: null, assoc: 0 } },
      { anchor: good, head: { type: null, tname: null, item: null, assoc: 0 } },
      [good, good],
      'anchor',
    ]) {
      expect(validateState({ user: { name: 'A' }, selection: bad }, target), JSON.stringify(bad)).toBeNull();
    }
  });

  it('refuses a position that resolves into another type', () => {
    const { doc, target } = room();
    doc.getMap('meta').set('language', 'python');
    const inMeta = Y.createRelativePositionFromTypeIndex(doc.getText('code'), 0);
    const metaItem = doc.getMap('meta')._map.get('language')!.id;
    const wire = JSON.parse(JSON.stringify({ ...inMeta, item: metaItem, tname: null }));
    expect(validateState({ selection: { anchor: wire, head: wire } }, target)).toBeNull();
  });

  it(`refuses names longer than ${MAX_REMOTE_NAME} characters, empty or not strings`, () => {
    const ok = 'é'.repeat(MAX_REMOTE_NAME);
    expect(validateState({ user: { name: ok } })?.user?.name).toBe(ok);
    expect(validateState({ user: { name: `  ${'🙂'.repeat(MAX_REMOTE_NAME)}\n` } })?.user?.name).toBe('🙂'.repeat(MAX_REMOTE_NAME));
    expect(validateState({ user: { name: 'x'.repeat(MAX_REMOTE_NAME + 1) } })).toBeNull();
    expect(validateState({ user: { name: 'x'.repeat(100_000) } })).toBeNull();
    expect(validateState({ user: { name: ' \u0000\t ' } })).toBeNull();
    expect(validateState({ user: { name: 42 } })).toBeNull();
    expect(validateState({ user: 'Bob' })).toBeNull();
    expect(validateState({ user: { name: 'a\u0007b' } })?.user?.name).toBe('ab');
  });

  it('refuses colours that are not #rrggbb or #rgb', () => {
    expect(safeColor('#abc')).toBe('#aabbcc');
    for (const color of ['red', '#12345g', '#1234567', '#fff; background: url(//evil)', 'rgb(1,2,3)', 42, '']) {
      expect(validateState({ user: { name: 'A', color } }), String(color)).toBeNull();
    }
  });

  it('refuses states that are not objects', () => {
    for (const state of [null, undefined, 42, 'state', [], [{ user: { name: 'A' } }], true]) {
      expect(validateState(state), JSON.stringify(state)).toBeNull();
    }
  });
});

describe('ValidatedAwareness', () => {
  it('shows y-monaco only well-formed states, and follows updates', () => {
    const { doc, wire, target } = room();
    const awareness = new Awareness(doc);
    awareness.setLocalStateField('user', { name: 'Me', color: '#000000' });
    awareness.states.set(101, { user: { name: 'Good', color: '#0090ff' }, selection: { anchor: wire(0), head: wire(5) } });
    awareness.states.set(102, { selection: { anchor: {}, head: {} } });
    awareness.states.set(103, { user: { name: 'x'.repeat(1000) } });
    const view = new ValidatedAwareness(awareness, target);
    expect([...view.getStates().keys()].sort()).toEqual([101, doc.clientID].sort());
    view.getStates().forEach((state) => {
      if (state.selection) expect(() => monacoResolves(state, doc)).not.toThrow();
    });
    awareness.states.set(101, { user: { name: 'Good', color: 'not a colour' } });
    expect(view.getStates().has(101)).toBe(false);
    awareness.states.set(102, { user: { name: 'Fixed' } });
    expect(view.getStates().get(102)?.user?.name).toBe('Fixed');
    view.setLocalStateField('selection', { anchor: Y.createRelativePositionFromTypeIndex(doc.getText('code'), 1), head: Y.createRelativePositionFromTypeIndex(doc.getText('code'), 1) });
    expect(view.getStates().get(doc.clientID)?.selection).toBeDefined();
    awareness.destroy();
  });
});
