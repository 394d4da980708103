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
