// Tries to record with no sound server reachable; prints the error as JSON.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMicrophone } from '../dist/index.js';

try {
  const capture = await createMicrophone().start({
    directory: mkdtempSync(join(tmpdir(), 'whis-nopulse-')),
  });
  const result = await capture.stop();
  process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: err.code, message: err.message })}\n`);
}
