import { stat } from 'node:fs/promises';
import { privateDirProblem, readSettings, resolvePaths, type Settings } from '@whis/config';
import type { Check } from '@whis/service';
import { checkRuntimeDir, runtimeDirPath } from '@whis/ipc';
import { ExitCode } from '../errors.js';
import { loadPackage } from '../lazy.js';
import { withDaemon } from '../daemon.js';
import { checkBindings, checkGnomeShortcut } from './bindings.impl.js';
import type { DoctorArgs } from './doctor.js';

/** One check's verdict: `required` ones decide the exit code. */
export type { Check };

const MIN_NODE = [20, 19];

function checkNode(): Check {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  const ok = major > MIN_NODE[0]! || (major === MIN_NODE[0] && minor >= MIN_NODE[1]!);
  return {
    name: 'Node.js',
    ok,
    required: true,
    detail: `${process.versions.node} at ${process.execPath}`,
    ...(ok ? {} : { fix: 'Install Node.js 20.19 or newer (22 or 24 recommended).' }),
  };
}

async function checkDirectories(): Promise<Check> {
  const paths = resolvePaths();
  const problems: string[] = [];
  // the rule the service applies when it opens them, from the same function
  for (const dir of [paths.configDir, paths.dataDir, paths.stateDir]) {
    const problem = await privateDirProblem(dir);
    if (problem) problems.push(problem);
  }
  try {
    const runtime = runtimeDirPath();
    if (await stat(runtime).catch(() => undefined)) checkRuntimeDir(runtime);
  } catch (err) {
    problems.push((err as Error).message);
  }
  return {
    name: 'Directories',
    ok: problems.length === 0,
    required: true,
    detail: problems.length
      ? problems.join('; ')
      : `settings ${paths.configDir}, recordings ${paths.dataDir}`,
    ...(problems.length ? { fix: 'Give them back to yourself and `chmod 700` them.' } : {}),
  };
}

// The settings as `whis listen` reads them: a file it would refuse is a failed check with the same
// message, and the other checks run with the defaults.
async function checkSettings(): Promise<{ check: Check; settings: Settings }> {
  const file = resolvePaths().settingsFile;
  const name = 'Settings';
  try {
    const settings = await readSettings(file);
    const count = Object.keys(settings).length;
    return {
      settings,
      check: {
        name,
        ok: true,
        required: true,
        detail: count > 0 ? `${file} (${count} set)` : `the defaults (${file} sets nothing)`,
      },
    };
  } catch (err) {
    return {
      settings: {},
      check: {
        name,
        ok: false,
        required: true,
        detail: (err as Error).message,
        fix: '`whis listen` refuses this file too. Fix it as said; the other checks ran with the defaults.',
      },
    };
  }
}

// What the catalogue's rows in force say, each row's probe in turn (they run together); a check
// two rows share (two outputs that both need the clipboard) is said once.
async function checkRows(settings: Settings): Promise<Check[]> {
  const { rowsInForce } = await loadPackage<typeof import('@whis/service')>('@whis/service');
  const service = () =>
    withDaemon((client) => client.request('status'), { timeoutMs: 2000 }).catch(() => undefined);
  const context = { settings, env: process.env, service };
  const found = await Promise.all(rowsInForce(settings, process.env).map((r) => r.probe(context)));
  const seen = new Set<string>();
  return found.flat().filter((c) => !seen.has(c.name) && seen.add(c.name));
}

export async function runDoctor(args: DoctorArgs): Promise<number> {
  const { check: settingsCheck, settings } = await checkSettings();
  const [directories, rows, bindings] = await Promise.all([
    checkDirectories(),
    checkRows(settings),
    Promise.all([checkBindings(settings), checkGnomeShortcut(settings)]).then((c) => c.flat()),
  ]);
  const checks: Check[] = [checkNode(), settingsCheck, directories, ...rows, ...bindings];
  const failed = checks.filter((c) => !c.ok && c.required);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ ok: failed.length === 0, checks })}\n`);
  } else {
    for (const c of checks) {
      const mark = c.ok ? '✓' : c.required ? '✗' : '!';
      process.stdout.write(`${mark} ${c.name}: ${c.detail}\n`);
      if (!c.ok && c.fix) process.stdout.write(`    fix: ${c.fix}\n`);
    }
    process.stdout.write(
      failed.length === 0
        ? '\nEverything a dictation needs is there.\n'
        : `\n${failed.length} problem${failed.length === 1 ? '' : 's'}: ${failed.map((c) => c.name).join(', ')}.\n`,
    );
  }
  return failed.length === 0 ? ExitCode.Ok : ExitCode.Failure;
}
