// Races 32 processes for one runtime directory, ROUNDS times (default 100), half of the rounds
// with a stale socket left behind first; prints the owners per round. Exit 1 if any round had
// other than exactly one owner.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./acquire.mjs', import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 100);
const N = Number(process.env.CONTENDERS ?? 32);
const root = mkdtempSync(join(tmpdir(), 'whis-stress-'));
const owners = [];
for (let round = 0; round < ROUNDS; round++) {
  const dir = join(root, `r${round}`);
  const stale = round % 2 === 1;
  if (stale) {
    spawnSync('mkdir', ['-m', '700', dir]);
    spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(join(dir, 'whis.sock'))}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
  }
  const children = Array.from({ length: N }, () =>
    spawn(process.execPath, [fixture], {
      env: { ...process.env, WHIS_RUNTIME_DIR: dir },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const results = await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) =>
          createInterface({ input: child.stdout }).once('line', (line) =>
            resolve({ child, ...JSON.parse(line) }),
          ),
        ),
    ),
  );
  const won = results.filter((r) => r.owner);
  owners.push(won.length);
  const losers = results.filter((r) => !r.owner);
  const wrong = losers.filter((r) => r.code !== 'already-running' || r.pid !== won[0]?.pid).length;
  console.log(
    `round ${round + 1}${stale ? ' (stale socket)' : ''}: ${won.length} owner(s), ${losers.length} already-running${wrong ? `, ${wrong} with another answer` : ''}`,
  );
  for (const r of won) r.child.stdin.end();
  await Promise.all(
    results.map(
      (r) =>
        new Promise((resolve) =>
          r.child.exitCode !== null ? resolve() : r.child.once('exit', resolve),
        ),
    ),
  );
}
rmSync(root, { recursive: true, force: true });
const bad = owners.filter((n) => n !== 1).length;
console.log(`\n${ROUNDS} rounds of ${N}: ${ROUNDS - bad} with exactly one owner, ${bad} without`);
process.exitCode = bad === 0 ? 0 : 1;
