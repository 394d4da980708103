const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines at `\n` without decoding, so that a character split across
 * chunks stays whole, and without buffering more than `maxLineBytes`: once a line grows past the
 * cap, `onOverflow` is called once and the splitter stops (the connection is to be closed).
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private overflowed = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.overflowed) return;
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) {
        this.append(chunk.subarray(start));
        return;
      }
      let line: Buffer;
      if (this.size === 0) {
        // the common case, a whole line inside one chunk: no copy
        if (end - start > this.maxLineBytes) {
          this.stop();
          this.onOverflow();
          return;
        }
        line = chunk.subarray(start, end);
      } else {
        this.append(chunk.subarray(start, end));
        if (this.overflowed) return;
        line = Buffer.concat(this.parts, this.size);
        this.parts = [];
        this.size = 0;
      }
      this.onLine(line);
      if (this.overflowed) return;
      start = end + 1;
    }
  }

  /** The bytes after the last newline, at end of stream (a last line without `\n`). */
  flush(): void {
    if (this.overflowed || this.size === 0) return;
    const line = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    this.onLine(line);
  }

  /** Stops the splitter: later input is ignored. */
  stop(): void {
    this.overflowed = true;
    this.parts = [];
    this.size = 0;
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.size + bytes.length > this.maxLineBytes) {
      this.stop();
      this.onOverflow();
      return;
    }
    // copy: the socket may reuse the chunk's memory
    this.parts.push(Buffer.from(bytes));
    this.size += bytes.length;
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes a complete line as strict UTF-8; returns undefined when the bytes are not valid UTF-8. */
export function decodeLine(line: Buffer): string | undefined {
  try {
    return decoder.decode(line);
  } catch {
    return undefined;
  }
}
