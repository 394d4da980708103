import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  recognizeUpload,
  run,
  runChecked,
  startTranscriptionServer,
  startVirtualMicrophone,
  startXvfb,
  synthesize,
  type RunResult,
  type TranscriptionHandler,
  type TranscriptionServer,
  type VirtualDisplay,
  type VirtualMicrophone,
} from '@whis/testkit';

// what users run: the launcher of the bundled CLI
export const CLI = fileURLToPath(new URL('../../bin/whis.cjs', import.meta.url));

/** An isolated whis installation: its own runtime, config, data and state directories. */
export interface Sandbox {
  root: string;
  env: NodeJS.ProcessEnv;
  /** Runs `whis args` to its end; `env` adds to the sandbox's environment for this run. */
  whis(
    args: string[],
    options?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
  ): Promise<RunResult>;
  /**
   * Starts `whis` with its stdout and stderr on real pipes, as a shell gives them
   * (`spawnWithPipes`); `detached`: in a session and process group of its own, as a terminal starts it.
   */
  spawnWhis(args: string[], options?: { detached?: boolean }): ChildProcess;
  /** `whis args` (a `--json` command), its output parsed; throws with its exit and stderr when it printed no JSON. */
  json<T>(args: string[], options?: { timeoutMs?: number }): Promise<T>;
  /** `whis status --json`, parsed. */
  status(): Promise<Status>;
  /** Polls the status until `check` holds and returns it; throws with the last status after `timeoutMs`. */
  waitForStatus(check: (status: Status) => boolean, timeoutMs?: number): Promise<Status>;
  /** The newest `count` entries of `whis last --json`, newest first, once there are that many. */
  transcripts(count: number, timeoutMs?: number): Promise<Transcript[]>;
  /** The text of the `n`th transcript of this sandbox (the newest), once there are `n`. */
  transcript(n?: number, timeoutMs?: number): Promise<string>;
  /** Starts `whis listen args` and resolves once it says it is listening. */
  listen(args?: string[]): Promise<{ daemon: ChildProcess; output: WatchedOutput }>;
  cleanup(): Promise<void>;
}

export type Status = Record<string, unknown> & { state?: string };

/** An entry of `whis last --json`. */
export interface Transcript {
  id: string;
  text: string;
  /** The text as heard, before the text steps (absent from services that ran none). */
  raw: string;
  applied?: string[];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `options.dataHome`, `options.configHome`: the sandbox's XDG_DATA_HOME and XDG_CONFIG_HOME
 * (default folders of its own), e.g. the desktop's, where its desktop entries and dconf are;
 * `options.runtimeDir`: its runtime folder (the socket), e.g. the one a desktop's programs use.
 */
export async function createSandbox(
  extraEnv: NodeJS.ProcessEnv,
  options: { dataHome?: string; configHome?: string; runtimeDir?: string } = {},
): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'whis-e2e-'));
  const run_ = join(root, 'run');
  await mkdir(run_, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // the test kit's server runs pocketsphinx on a shared machine: a slow self-hosted server, given
    // the time such a server is given (a suite that tests the budget itself sets its own)
    WHIS_UPLOAD_TIMEOUT_SCALE: '6',
    ...extraEnv,
    WHIS_RUNTIME_DIR: options.runtimeDir ?? run_,
    XDG_CONFIG_HOME: options.configHome ?? join(root, 'config'),
    XDG_DATA_HOME: options.dataHome ?? join(root, 'data'),
    XDG_STATE_HOME: join(root, 'state'),
    XDG_CACHE_HOME: join(root, 'cache'),
  };
  const children: ChildProcess[] = [];
  const sandbox: Sandbox = {
    root,
    env,
    whis: (args, options = {}) =>
      new Promise<RunResult>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...args], {
          env: { ...env, ...options.env },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new Error(`whis ${args.join(' ')} timed out; stdout: ${stdout}; stderr: ${stderr}`),
          );
        }, options.timeoutMs ?? 30_000);
        child.once('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout, stderr });
        });
        child.stdin.end(options.input ?? '');
      }),
    spawnWhis(args, options = {}) {
      const child = spawnWithPipes([CLI, ...args], { env, detached: options.detached });
      children.push(child);
      return child;
    },
    async json<T>(args: string[], options: { timeoutMs?: number } = {}) {
      const result = await sandbox.whis(args, options);
      try {
        return JSON.parse(result.stdout) as T;
      } catch {
        throw new Error(
          `whis ${args.join(' ')} printed no JSON (exit ${result.code ?? result.signal}); ` +
            `stdout: ${result.stdout}; stderr: ${result.stderr}`,
        );
      }
    },
    status() {
      return sandbox.json<Status>(['status', '--json']);
    },
    async waitForStatus(check, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status: Status = await sandbox.status().catch(() => ({}));
        if (check(status)) return status;
        if (Date.now() > deadline)
          throw new Error(`status never matched; last: ${JSON.stringify(status)}`);
        await pause(100);
      }
    },
    async transcripts(count, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const result = await sandbox.whis(['last', '--json', '--count', String(count)]);
        const entries = JSON.parse(result.stdout || '[]') as Transcript[];
        if (entries.length >= count) return entries;
        if (Date.now() > deadline) {
          const status = await sandbox.status().catch(() => ({}));
          throw new Error(`transcript ${count} never arrived; status: ${JSON.stringify(status)}`);
        }
        await pause(200);
      }
    },
    async transcript(n = 1, timeoutMs) {
      return (await sandbox.transcripts(n, timeoutMs))[0]!.text;
    },
    async listen(args = []) {
      const daemon = sandbox.spawnWhis(['listen', ...args]);
      const output = watchOutput(daemon);
      await output.waitFor(/Listening/);
      return { daemon, output };
    },
    async cleanup() {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGKILL');
          await exited;
        }
      }
      try {
        await rm(root, { recursive: true, force: true });
      } catch (err) {
        // something still writes into it (once, under load: ENOTEMPTY): say what runs there
        const left = await sandboxProcesses(sandbox);
        const files = await readdir(root, { recursive: true }).catch(() => []);
        throw new Error(
          `${(err as Error).message}; still running with this sandbox's environment: ` +
            `${left.map((p) => `${p.pid} ${p.comm}`).join(', ') || 'nothing'}; ` +
            `left in it: ${files.slice(0, 20).join(', ')}`,
          { cause: err },
        );
      }
    },
  };
  return sandbox;
}

/**
 * The processes started in sandbox `s` (those with its environment: its state folder is theirs
 * alone) that are still running (zombies aside), read from /proc: what a command left behind.
 * `except`: command names not counted.
 */
export async function sandboxProcesses(
  s: Sandbox,
  except: string[] = [],
): Promise<Array<{ pid: number; comm: string }>> {
  const mark = `XDG_STATE_HOME=${s.env.XDG_STATE_HOME}`;
  const found: Array<{ pid: number; comm: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (!stat || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
    const comm = /\((.*)\)/.exec(stat)?.[1] ?? '?';
    if (except.includes(comm)) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(mark)) found.push({ pid: Number(entry), comm });
  }
  return found;
}

/**
 * Waits up to `timeoutMs` for the processes of sandbox `s` to end (the clipboard's server aside: it
 * keeps the selection and writes nothing): a command run in a terminal of the test's (tmux) is no
 * child of the sandbox's, and a Node process writes its compile cache into the sandbox as it exits.
 */
export async function sandboxSettled(s: Sandbox, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await sandboxProcesses(s, ['xclip'])).length > 0)
    await pause(100);
}

/** A real terminal (a tmux server of its own) running one shell command, for a person's view. */
export interface Terminal {
  /** What the terminal shows now. */
  pane(): Promise<string>;
  /** What it shows once `pattern` is there; throws with the pane after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Keys typed into it, as tmux send-keys names them (`Enter`, `C-s`; `-l` for literal text). */
  keys(...keys: string[]): Promise<void>;
  /** Ends the terminal, then waits for the sandbox's processes to end (`sandboxSettled`). */
  close(): Promise<void>;
}

/** Opens a `cols`×`rows` terminal in sandbox `s` that runs `command` (a shell command line). */
export async function openTerminal(
  s: Sandbox,
  command: string,
  { cols = 160, rows = 40 }: { cols?: number; rows?: number } = {},
): Promise<Terminal> {
  const session = `whis-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const tmux = (args: string[]) =>
    runChecked('tmux', ['-L', session, '-f', '/dev/null', ...args], {
      env: { ...s.env, TMUX: '' },
    });
  await tmux(['new-session', '-d', '-s', session, '-x', String(cols), '-y', String(rows), command]);
  const pane = async () => (await tmux(['capture-pane', '-p', '-t', session])).stdout;
  return {
    pane,
    async waitFor(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = await pane();
        if (pattern.test(text)) return text;
        if (Date.now() > deadline) throw new Error(`waited for ${pattern}; the pane:\n${text}`);
        await pause(100);
      }
    },
    async keys(...keys) {
      await tmux(['send-keys', '-t', session, ...keys]);
    },
    async close() {
      await tmux(['kill-server']).catch(() => undefined);
      await sandboxSettled(s);
    },
  };
}

/**
 * Spawns Node with `args`, its stdout and stderr on FIFOs (real pipes, as a shell or a terminal
 * gives them) instead of the socket pairs Node's `stdio: 'pipe'` creates; `child.stdout` and
 * `child.stderr` read them as usual.
 */
export function spawnWithPipes(
  args: string[],
  options: { env: NodeJS.ProcessEnv; detached?: boolean },
): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), 'whis-fifo-'));
  try {
    const paths = ['out', 'err'].map((name) => join(dir, name));
    for (const path of paths) execFileSync('mkfifo', ['-m', '600', path]);
    const readers = paths.map((path) => openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
    const writers = paths.map((path) => openSync(path, constants.O_WRONLY));
    const child = spawn(process.execPath, args, {
      env: options.env,
      detached: options.detached ?? false,
      stdio: ['pipe', writers[0]!, writers[1]!],
    });
    for (const fd of writers) closeSync(fd);
    child.stdout = new net.Socket({ fd: readers[0]!, readable: true, writable: false });
    child.stderr = new net.Socket({ fd: readers[1]!, readable: true, writable: false });
    return child;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface WatchedOutput {
  text(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Collects a child's output; `waitFor` resolves once it has printed a line matching. */
export function watchOutput(child: ChildProcess): WatchedOutput {
  let text = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    text += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    text: () => text,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${pattern}; output so far:\n${text}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
  };
}

export async function readClipboard(env: NodeJS.ProcessEnv): Promise<string> {
  return (await run('xclip', ['-selection', 'clipboard', '-o'], { env })).stdout;
}

/** The real components a whole-chain suite stands on. */
export interface Rig {
  x: VirtualDisplay;
  mic: VirtualMicrophone;
  server: TranscriptionServer;
  /** `phrase`, spoken by the synthesiser, as a WAV file to play into the microphone. */
  phraseWav: string;
  /** What whis needs to reach them: the display, the microphone and the server (the key is each suite's). */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/**
 * A transcription handler that answers `text` for a segment in which the recogniser heard `words`
 * (any word by default), else what it heard: for suites whose subject is what becomes of the text,
 * not the recogniser (which drops or mishears a word now and then on a loaded machine).
 */
export function heardAs(text: string, words = /\S/): TranscriptionHandler {
  return async (request) => {
    const reply = await recognizeUpload(request);
    const json = request.responseFormat !== 'text';
    const heard = json ? ((JSON.parse(reply.body) as { text?: string }).text ?? '') : reply.body;
    if (!words.test(heard)) return reply;
    return { ...reply, body: json ? JSON.stringify({ text }) : text };
  };
}

/**
 * Starts Xvfb, the virtual microphone and a local transcription server (pocketsphinx, or
 * `handler`), and synthesises `phrase`; `stop()` ends all of it.
 */
export async function startRig(phrase: string, handler?: TranscriptionHandler): Promise<Rig> {
  const x = await startXvfb();
  const mic = await startVirtualMicrophone();
  // the legacy models answer 404 model_not_found, as OpenAI's will: dictations pass only on the default
  const server = await startTranscriptionServer(handler, {
    retiredModels: ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe'],
  });
  const scratch = await mkdtemp(join(tmpdir(), 'whis-phrase-'));
  const phraseWav = join(scratch, 'phrase.wav');
  await synthesize(phrase, phraseWav);
  return {
    x,
    mic,
    server,
    phraseWav,
    env: { ...x.env, ...mic.env, OPENAI_BASE_URL: server.baseURL },
    async stop() {
      await server.close();
      await mic.stop();
      await x.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
