import { MODIFIER_KEYS, type Hotkey, type Modifier } from './spec.js';

export type MatchEvent = 'press' | 'release';

const MODIFIER_OF = new Map<string, { modifier: Modifier; side: 'left' | 'right' }>(
  (Object.entries(MODIFIER_KEYS) as Array<[Modifier, [string, string]]>).flatMap(
    ([modifier, [left, right]]) => [
      [left, { modifier, side: 'left' as const }],
      [right, { modifier, side: 'right' as const }],
    ],
  ),
);

/**
 * A pure chord matcher over key down/up events (uiohook key names). It fires `press` once per
 * press of the exact chord (key repeat ignored, modifiers in any order, not when an extra modifier
 * is held), and `release` when any key of an active chord goes up, in whatever order they are released.
 */
export class ChordMatcher {
  private readonly down = new Set<string>();
  private active = false;

  constructor(private readonly hotkey: Hotkey) {}

  keyDown(key: string): MatchEvent | undefined {
    if (this.down.has(key)) return undefined; // auto-repeat
    this.down.add(key);
    if (this.active || key !== this.hotkey.key) return undefined;
    if (!this.modifiersMatch()) return undefined;
    this.active = true;
    return 'press';
  }

  keyUp(key: string): MatchEvent | undefined {
    this.down.delete(key);
    if (!this.active) return undefined;
    const modifier = MODIFIER_OF.get(key);
    if (
      key === this.hotkey.key ||
      (modifier && this.hotkey.modifiers[modifier.modifier] !== undefined)
    ) {
      this.active = false;
      return 'release';
    }
    return undefined;
  }

  /** Forget held keys (the listener restarted and missed key-ups). */
  reset(): void {
    this.down.clear();
    this.active = false;
  }

  private modifiersMatch(): boolean {
    const held: Partial<Record<Modifier, Set<'left' | 'right'>>> = {};
    for (const key of this.down) {
      const m = MODIFIER_OF.get(key);
      if (!m || key === this.hotkey.key) continue;
      (held[m.modifier] ??= new Set()).add(m.side);
    }
    for (const modifier of Object.keys(MODIFIER_KEYS) as Modifier[]) {
      const want = this.hotkey.modifiers[modifier];
      const sides = held[modifier];
      if (want === undefined) {
        if (sides) return false;
      } else if (!sides || (want !== 'any' && !sides.has(want))) {
        return false;
      }
    }
    return true;
  }
}
