import type { ServiceEvent } from '@whis/ipc';

/**
 * The text of one recording as it grows: each segment's final text once it is known, else the
 * deltas received for it so far, in segment order.
 */
export class LiveText {
  private readonly finals = new Map<number, string>();
  private readonly partials = new Map<number, string>();
  recordingId: string | null = null;

  /** Takes a `transcript.delta` or `transcript.segment` event; true when the text changed. */
  apply(event: ServiceEvent): boolean {
    if (event.type !== 'transcript.delta' && event.type !== 'transcript.segment') return false;
    if (event.recordingId !== this.recordingId) this.reset(event.recordingId);
    if (event.type === 'transcript.segment') {
      this.partials.delete(event.segment);
      if (this.finals.get(event.segment) === event.text) return false;
      this.finals.set(event.segment, event.text);
    } else {
      if (this.finals.has(event.segment)) return false;
      this.partials.set(event.segment, (this.partials.get(event.segment) ?? '') + event.text);
    }
    return true;
  }

  reset(recordingId: string | null = null): void {
    this.recordingId = recordingId;
    this.finals.clear();
    this.partials.clear();
  }

  get text(): string {
    const segments = [...new Set([...this.finals.keys(), ...this.partials.keys()])].sort(
      (a, b) => a - b,
    );
    return segments
      .map((s) => (this.finals.get(s) ?? this.partials.get(s) ?? '').trim())
      .filter(Boolean)
      .join(' ');
  }

  /** The end of the text, at most `chars` long, cut at a word: for a status-bar tooltip. */
  tail(chars = 80): string {
    const text = this.text;
    if (text.length <= chars) return text;
    const cut = text.slice(-chars);
    const space = cut.indexOf(' ');
    return `…${space >= 0 ? cut.slice(space + 1) : cut}`;
  }
}

/**
 * Prints a recording's text on one line as it arrives, in the order it was spoken. A segment's
 * deltas (or its final text, when it came without them: a segment uploaded instead of transcribed
 * live) are held back until every earlier segment is complete, so a segment streamed live is not
 * printed before the one before it, still on its way by upload.
 */
export class LinePrinter {
  /** The first segment whose final text has not come yet. */
  private next = 0;
  private readonly held = new Map<number, { deltas: string; final?: string }>();
  private readonly begun = new Set<number>();
  private any = false;

  constructor(private readonly write: (text: string) => void) {}

  /** Takes a `transcript.delta` or `transcript.segment` event of the recording printed. */
  take(event: ServiceEvent): void {
    if (event.type !== 'transcript.delta' && event.type !== 'transcript.segment') return;
    const entry = this.held.get(event.segment) ?? { deltas: '' };
    this.held.set(event.segment, entry);
    if (event.type === 'transcript.delta') entry.deltas += event.text;
    else entry.final ??= event.text;
    this.flush();
  }

  /** Prints what is still held (segments whose predecessor never completed), in segment order. */
  finish(): void {
    for (const segment of [...this.held.keys()].sort((a, b) => a - b)) {
      const entry = this.held.get(segment)!;
      this.print(segment, entry.deltas);
      if (!this.begun.has(segment)) this.print(segment, entry.final ?? '');
    }
    this.held.clear();
  }

  /** Whether any text was printed. */
  get printedAny(): boolean {
    return this.any;
  }

  private flush(): void {
    for (let entry = this.held.get(this.next); entry; entry = this.held.get(this.next)) {
      this.print(this.next, entry.deltas);
      entry.deltas = '';
      if (entry.final === undefined) return;
      // a segment printed from its deltas keeps them: the line cannot be taken back
      if (!this.begun.has(this.next)) this.print(this.next, entry.final);
      this.held.delete(this.next);
      this.next += 1;
    }
  }

  private print(segment: number, text: string): void {
    if (!this.begun.has(segment)) {
      text = text.trimStart();
      if (text.length === 0) return;
      this.begun.add(segment);
      if (this.any) this.write(' ');
    }
    if (text.length === 0) return;
    this.write(text);
    this.any = true;
  }
}
