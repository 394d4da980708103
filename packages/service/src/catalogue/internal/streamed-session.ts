// What every streaming provider's live session shares (Deepgram's, ElevenLabs'): the segments of
// one recording, each streamed on the connection open when it began, ended with a commit, its text
// the pieces the provider sends back until the commit is answered. A dropped connection rejects
// the segments it held (the host uploads them) and the next segment opens a new one. A provider
// says only how a connection is opened and what its messages mean (`LiveLink`).
import type { LiveSession, LiveSessionOptions } from '@whis/contracts';
import { TranscribeError } from '@whis/transcribe';

/** What a provider's connection tells the session. */
export interface LiveLinkEvents {
  /** A final piece of the oldest segment waiting on this connection. */
  piece(text: string): void;
  /** The provider answered that segment's commit: its text is complete. */
  committed(): void;
  /** The connection is gone (closed, failed, refused): its segments are uploaded instead. */
  dropped(why: string, cause?: unknown): void;
}

/** One open connection to a provider's streaming API. */
export interface LiveLink {
  /** 16 kHz mono PCM16, little-endian. */
  send(pcm: Uint8Array): void;
  /** Ends the segment in progress: its remaining text is asked for now. */
  commit(): void;
  close(): void;
}

/** Opens a connection (resolves once it is open); `events` come from it from then on. */
export type OpenLink = (events: LiveLinkEvents) => Promise<LiveLink>;

interface Segment {
  index: number;
  text: Promise<string>;
  pieces: string[];
  resolve(text: string): void;
  reject(error: Error): void;
  link: LiveLink | undefined;
  settled: boolean;
  committed: boolean;
  timer?: NodeJS.Timeout;
}

const failure = (message: string, cause?: unknown) =>
  new TranscribeError('live-failed', message, cause === undefined ? undefined : { cause });

/** A live session over a provider's streaming connection (see the file's head). */
export class StreamedLiveSession implements LiveSession {
  readonly segmentMs = 1000;
  private readonly segments: Segment[] = [];
  private current: Segment | undefined;
  private link: LiveLink | undefined;
  private opening: Promise<LiveLink> | undefined;
  private closed = false;

  constructor(
    private readonly name: string,
    private readonly openLink: OpenLink,
    private readonly events: LiveSessionOptions = {},
    /** How long a committed segment may take to come back before it is uploaded instead. */
    private readonly segmentTimeoutMs = 15_000,
  ) {}

  append(pcm: Int16Array, segment: number): void {
    if (this.closed) return;
    if (this.current?.index !== segment) this.begin(segment);
    const current = this.current!;
    if (current.settled || current.committed) return;
    const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength).slice();
    void this.connect().then(
      (link) => {
        current.link ??= link;
        if (current.link !== link || current.settled) return;
        link.send(bytes);
      },
      (err: unknown) => this.fail(current, `the ${this.name} connection failed`, err),
    );
  }

  text(segment: number): Promise<string> {
    const found = this.segments.find((s) => s.index === segment);
    return found ? found.text : Promise.reject(failure(`No live segment ${segment}.`));
  }

  end(): void {
    const current = this.current;
    if (!current || current.committed || current.settled) return;
    current.committed = true;
    void this.connect().then(
      (link) => {
        if (current.settled) return;
        if (current.link !== link) {
          this.fail(current, `the ${this.name} connection changed under the segment`);
          return;
        }
        link.commit();
        current.timer = setTimeout(
          () => this.fail(current, `no final text from ${this.name} in time`),
          this.segmentTimeoutMs,
        );
      },
      (err: unknown) => this.fail(current, `the ${this.name} connection failed`, err),
    );
  }

  close(): void {
    this.closed = true;
    for (const segment of this.segments) this.fail(segment, 'the live session was closed');
    const link = this.link;
    this.link = undefined;
    link?.close();
  }

  private begin(index: number): void {
    // a segment not ended yet is ended by the next one's first audio
    this.end();
    let resolve!: (text: string) => void;
    let reject!: (error: Error) => void;
    const text = new Promise<string>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // the caller may ask later: a rejection here is not unhandled
    text.catch(() => undefined);
    const segment: Segment = {
      index,
      text,
      pieces: [],
      resolve,
      reject,
      link: undefined,
      settled: false,
      committed: false,
    };
    this.segments.push(segment);
    this.current = segment;
  }

  private fail(segment: Segment, why: string, cause?: unknown): void {
    if (segment.settled) return;
    segment.settled = true;
    clearTimeout(segment.timer);
    segment.reject(failure(`Segment ${segment.index} not transcribed live: ${why}.`, cause));
  }

  private connect(): Promise<LiveLink> {
    if (this.link) return Promise.resolve(this.link);
    let link: LiveLink | undefined;
    // a connection's answers are for the oldest segment still waiting on it, in order
    const waiting = () => this.segments.find((s) => !s.settled && s.link === link);
    const events: LiveLinkEvents = {
      piece: (text) => {
        const segment = waiting();
        const piece = text.trim();
        if (!segment || !piece) return;
        segment.pieces.push(piece);
        this.events.onDelta?.(segment.index, segment.pieces.length > 1 ? ` ${piece}` : piece);
      },
      committed: () => {
        const segment = waiting();
        if (!segment?.committed) return;
        segment.settled = true;
        clearTimeout(segment.timer);
        segment.resolve(segment.pieces.join(' '));
      },
      dropped: (why, cause) => {
        if (link && this.link === link) this.link = undefined;
        for (const segment of this.segments)
          if (segment.link === link) this.fail(segment, why, cause);
      },
    };
    return (this.opening ??= this.openLink(events)
      .then((opened) => {
        link = opened;
        this.link = opened;
        return opened;
      })
      .finally(() => {
        this.opening = undefined;
      }));
  }
}
