import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { copyToClipboard, type ClipboardOptions } from './clipboard.js';
import { OutputError } from './errors.js';

import type { Output } from '@whis/contracts';

/** Where a transcript goes: the Output port of @whis/contracts. */
export type { Output };

export function createClipboardOutput(options: ClipboardOptions = {}): Output {
  return { name: 'clipboard', deliver: (text) => copyToClipboard(text, options) };
}

export function createStdoutOutput(stream: NodeJS.WritableStream = process.stdout): Output {
  return {
    name: 'stdout',
    deliver: (text) =>
      new Promise((resolve, reject) =>
        stream.write(`${text}\n`, (err) => (err ? reject(err) : resolve())),
      ),
  };
}

/** Appends each transcript as one line (newlines inside it kept as they are) to `path`. */
export function createFileOutput(path: string): Output {
  return {
    name: `file ${path}`,
    async deliver(text) {
      try {
        await mkdir(dirname(path), { recursive: true });
        await appendFile(path, `${text}\n`, { mode: 0o600 });
      } catch (err) {
        throw new OutputError(
          'write-failed',
          `Cannot append to ${path}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    },
  };
}

/** Delivers to every output; one failing does not stop the others, and the error names each that failed. */
export function combineOutputs(outputs: readonly Output[]): Output {
  return {
    name: outputs.map((o) => o.name).join(' + '),
    async deliver(text) {
      const results = await Promise.allSettled(outputs.map((o) => o.deliver(text)));
      const failures = results.flatMap((r, i) =>
        r.status === 'rejected' ? [`${outputs[i]!.name}: ${(r.reason as Error).message}`] : [],
      );
      if (failures.length > 0) {
        throw new OutputError('outputs-failed', failures.join('; '), {
          cause: results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason,
        });
      }
    },
  };
}
