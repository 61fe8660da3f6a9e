/**
 * A view of a y-protocols Awareness that only ever shows well-formed states
 * (see ./validate). y-monaco reads `getStates()` on every redraw and trusts
 * what it finds; handing it this view instead of the provider's awareness
 * means a malformed remote state is never drawn, and nothing it sent can
 * make a redraw throw. The participant list reads the same view.
 */
import type { Awareness } from 'y-protocols/awareness';
import { validateState, type SafeState, type Target } from './validate';

type ChangeHandler = (...args: never[]) => void;

export class ValidatedAwareness {
  /** Awareness replaces a state object on every update, so identity is a safe key. */
  private readonly cache = new WeakMap<object, SafeState | null>();

  constructor(
    readonly inner: Awareness,
    private readonly target: Target = {},
  ) {}

  get clientID(): number {
    return this.inner.clientID;
  }

  get doc() {
    return this.inner.doc;
  }

  /** The well-formed states only, each reduced to what the app reads. */
  getStates(): Map<number, SafeState> {
    const valid = new Map<number, SafeState>();
    this.inner.getStates().forEach((state, clientId) => {
      const safe = this.validate(state);
      if (safe) valid.set(clientId, safe);
    });
    return valid;
  }

  getLocalState() {
    return this.inner.getLocalState();
  }

  setLocalStateField(field: string, value: unknown): void {
    this.inner.setLocalStateField(field, value);
  }

  on(event: 'change' | 'update', handler: ChangeHandler): void {
    this.inner.on(event, handler);
  }

  off(event: 'change' | 'update', handler: ChangeHandler): void {
    this.inner.off(event, handler);
  }

  /**
   * This view typed as the Awareness y-monaco's constructor asks for. y-monaco
   * 0.1.6 uses only `getStates`, `on`/`off('change')` and
   * `setLocalStateField`, all provided above (see node_modules/y-monaco/src).
   */
  forMonaco(): Awareness {
    return this as unknown as Awareness;
  }

  private validate(state: unknown): SafeState | null {
    if (typeof state !== 'object' || state === null) return null;
    let safe = this.cache.get(state);
    if (safe === undefined) {
      safe = validateState(state, this.target);
      this.cache.set(state, safe);
    }
    return safe;
  }
}
