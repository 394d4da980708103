// keysyms: Latin-1 is its own code; other Unicode is 0x01000000 + the code point
const NAMED_KEYS: Record<string, number> = {
  return: 0xff0d,
  enter: 0xff0d,
  tab: 0xff09,
  escape: 0xff1b,
  backspace: 0xff08,
  insert: 0xff63,
  delete: 0xffff,
  home: 0xff50,
  end: 0xff57,
  space: 0x20,
};
export const MODIFIER_KEYS = { ctrl: 0xffe3, shift: 0xffe1, alt: 0xffe9, super: 0xffeb } as const;

/** The X keysym that types `ch`. */
export function keysymOf(ch: string): number {
  if (ch === '\n') return NAMED_KEYS.return!;
  if (ch === '\t') return NAMED_KEYS.tab!;
  const cp = ch.codePointAt(0)!;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return 0x01000000 + cp;
}

/** The keysym of a chord's key: `v`, `Insert`, `Return`, `F5`. */
export function keyKeysym(key: string): number {
  if (key.length === 1) return keysymOf(key.toLowerCase());
  const named = NAMED_KEYS[key.toLowerCase()];
  if (named !== undefined) return named;
  const f = /^f(\d{1,2})$/i.exec(key);
  if (f && Number(f[1]) >= 1 && Number(f[1]) <= 24) return 0xffbe + Number(f[1]) - 1;
  throw new Error(`The desktop portal cannot press the key "${key}".`);
}

// Layouts whose first group has no Latin letters: every letter would be dropped
const NON_LATIN = new Set(
  'ru ua by bg mk rs gr il ara ir af iq sy th la kh mm ge am kz kg mn tj in bd np lk et'.split(' '),
);

/**
 * The characters of `text` the portal would drop or mistype on `layout` (its short name, as KDE
 * reports it; undefined when it cannot be read). The portal maps each keysym through the first
 * layout only, so: on US, printable ASCII types; on another Latin layout, letters, digits, space,
 * `.` and `,` (on every Latin layout at most a Shift away); on a non-Latin layout, nothing.
 */
export function untypeableOn(layout: string | undefined, text: string): string {
  const base = layout?.toLowerCase().split(/[(+:]/)[0]?.trim();
  if (base && NON_LATIN.has(base)) return text.replace(/[ 0-9]/g, '');
  if (base === 'us') return text.replace(/[\x20-\x7e]/g, '');
  return text.replace(/[A-Za-z0-9 .,]/g, '');
}
