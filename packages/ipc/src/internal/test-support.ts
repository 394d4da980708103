import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusResult } from '../protocol.js';
import type { HandlerResult } from '../server.js';

/** A private temp dir holding a socket path; `cleanup()` removes it. */
export function tempSocket(): { path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'whis-ipc-'));
  return {
    path: join(dir, 's.sock'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function idleStatus(): HandlerResult<'status'> {
  const status: Omit<StatusResult, 'protocolVersion'> = {
    state: 'idle',
    pid: process.pid,
    version: '0.0.0-test',
    uptimeMs: 0,
    hotkey: null,
    hotkeyProblem: null,
    hotkeyActive: false,
    recording: null,
    transcribing: [],
    lastError: null,
    problems: [],
  };
  return status;
}

/** A raw client: write bytes, read back parsed lines. */
export class RawClient {
  readonly socket: net.Socket;
  readonly lines: unknown[] = [];
  private buffer = '';
  private waiters: Array<() => void> = [];
  readonly closed: Promise<void>;

  constructor(path: string) {
    this.socket = net.createConnection(path);
    this.socket.on('error', () => undefined);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (data: string) => {
      this.buffer += data;
      let i;
      while ((i = this.buffer.indexOf('\n')) !== -1) {
        this.lines.push(JSON.parse(this.buffer.slice(0, i)));
        this.buffer = this.buffer.slice(i + 1);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  connected(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.socket.connecting) resolve();
      else this.socket.once('connect', () => resolve());
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves with the first `n` lines once they have arrived. */
  async waitForLines(n: number, timeoutMs = 10_000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < n) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${n} lines, got ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.lines.slice(0, n);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
