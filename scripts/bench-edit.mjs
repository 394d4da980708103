// Edit by voice through the real service (whisd, the X11 key grab under Xvfb, the virtual
// microphone, a local pocketsphinx transcription server, the test kit's chat model, the paste
// output into a GTK entry whose text is selected), in one run:
//  1. the edit key's press → `state: recording` at a subscriber, and → the selection kept in the
//     journal (the mtime of the recording's selection.json), with `editSelection primary` and
//     `copy`; the read's own time as the service logs it at debug level; then the in-process read
//     alone (`packages/output/bench/selection.mjs`)
//  2. stop (the second press) → the answer in the entry, split into transcription (→ the chat
//     request), model (→ its answer) and output (→ the service idle again), against a plain
//     dictation (ctrl+shift+r, the same phrase, the same service, interleaved): edit / dictation
//  3. the idle service's memory (every process) with edit by voice off (`editHotkey none`, no
//     `llmBaseURL`), with the edit key alone, and on (the default edit key, `llmBaseURL` set), 5 s
//     after its keys are grabbed, 3 starts each
// Usage: npm run bench:edit-service   [N=10] [STARTS=3]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectToDaemon } from '@whis/ipc';
import { copyToClipboard, readClipboard } from '@whis/output';
import {
  editLikeAModel,
  openEntry,
  recognizeUpload,
  startChatServer,
  startTranscriptionServer,
  startVirtualMicrophone,
  startXvfb,
  synthesize,
  xdotool,
} from '@whis/testkit';
import { treeRss } from './internal/process-tree.mjs';

const N = Number(process.env.N ?? 10);
const STARTS = Number(process.env.STARTS ?? 3);
const INSTRUCTION = 'make it formal';
const SELECTED = "hey i can't come today";
const ANSWER = editLikeAModel(INSTRUCTION, SELECTED);
const USER_CLIPBOARD = 'the user’s own clipboard';
const EDIT_KEY = 'ctrl+alt+shift+e';
const DICTATION_KEY = 'ctrl+shift+r';

const root = mkdtempSync(join(tmpdir(), 'whis-bench-edit-'));
const whisd = new URL('../apps/daemon/dist/main.js', import.meta.url).pathname;
const selectionBench = new URL('../packages/output/bench/selection.mjs', import.meta.url).pathname;
const wall = () => performance.timeOrigin + performance.now();
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const worst = (a) => Math.max(...a);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

// everything started here, stopped in reverse order at the end, whatever happened
const stops = [];
const started = (stop) => (stops.push(stop), stop);

/** Resolves with `promise`, or rejects after `ms` saying what never happened. */
function deadline(promise, ms, what) {
  const signal = AbortSignal.timeout(ms);
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => reject(new Error(`${what}: nothing after ${ms} ms`)));
    promise.then(resolve, reject);
  });
}

// the transcription server hears the instruction as the edit test does: a segment in which the
// recogniser heard words is answered with the phrase spoken, so every round has the same text
const uploads = [];
const x = await startXvfb();
started(() => x.stop());
try {
  const mic = await startVirtualMicrophone();
  started(() => mic.stop());
  const server = await startTranscriptionServer(async (request) => {
    const upload = { at: wall(), answeredAt: 0, heard: '' };
    uploads.push(upload);
    const reply = await recognizeUpload(request);
    const json = request.responseFormat !== 'text';
    upload.heard = json ? (JSON.parse(reply.body).text ?? '') : reply.body;
    upload.answeredAt = wall();
    if (upload.heard.trim() === '') return reply;
    return { ...reply, body: json ? JSON.stringify({ text: INSTRUCTION }) : INSTRUCTION };
  });
  started(() => server.close());
  const chat = await startChatServer({ kind: 'edit' });
  started(() => chat.close());
  const wav = join(root, 'instruction.wav');
  await synthesize(INSTRUCTION, wav);
  console.log(
    `Edit by voice through the real service (whisd, X11 key grab under Xvfb, virtual microphone, local pocketsphinx server, the test kit's chat model, paste into a GTK entry); a shared 2-core machine, load average ${load()} at the start`,
  );

  /** A whisd in a directory of its own, with `settings`; resolves once its keys are grabbed. */
  async function startService(name, settings, { logLevel = 'info' } = {}) {
    const dir = join(root, name);
    mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
    mkdirSync(join(dir, 'config', 'whis'), { recursive: true });
    writeFileSync(
      join(dir, 'config', 'whis', 'settings.json'),
      JSON.stringify({ outputs: ['paste'], hotkey: DICTATION_KEY, ...settings }),
    );
    const env = {
      ...x.env,
      ...mic.env,
      OPENAI_BASE_URL: server.baseURL,
      OPENAI_API_KEY: 'sk-bench',
      // pocketsphinx on a shared machine: a slow self-hosted server, given the time one is given
      WHIS_UPLOAD_TIMEOUT_SCALE: '6',
      WHIS_LOG_LEVEL: logLevel,
      WHIS_RUNTIME_DIR: join(dir, 'run'),
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_DATA_HOME: join(dir, 'data'),
      XDG_STATE_HOME: join(dir, 'state'),
      XDG_CACHE_HOME: join(dir, 'cache'),
    };
    const child = spawn(process.execPath, [whisd, '--hotkey-backend', 'x11'], {
      env,
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const stop = started(async () => {
      client?.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    });
    let client;
    for (let i = 0; i < 150 && !client; i++) {
      client = await connectToDaemon(join(dir, 'run', 'whis.sock')).catch(() => undefined);
      if (!client) await sleep(100);
    }
    if (!client) throw new Error(`the ${name} service did not start`);
    let status = await client.request('status');
    for (let i = 0; !status.hotkeyActive; i++) {
      if (i > 150) throw new Error(`the ${name} service's hotkey never became active`);
      await sleep(100);
      status = await client.request('status');
    }
    if (status.edit?.hotkeyProblem)
      throw new Error(`the ${name} service's edit key: ${status.edit.hotkeyProblem}`);
    // every event with the time it arrived; `next` waits for the first matching one after `from`
    const events = [];
    const waiters = new Set();
    await client.subscribe((event) => {
      events.push({ event, at: wall() });
      for (const waiter of waiters) waiter();
    });
    const next = (from, match, what) =>
      deadline(
        new Promise((resolve) => {
          const look = () => {
            const found = events.slice(from).find(({ event }) => match(event));
            if (found) {
              waiters.delete(look);
              resolve(found);
            }
          };
          waiters.add(look);
          look();
        }),
        60_000,
        `${name}: ${what}`,
      );
    return {
      pid: child.pid,
      recordings: join(dir, 'data', 'whis', 'recordings'),
      log: join(dir, 'state', 'whis', 'whisd.log'),
      events,
      next,
      async stop() {
        stops.splice(stops.indexOf(stop), 1);
        await stop();
      },
    };
  }

  const clipboardIsTheUsers = async () => {
    for (let i = 0; i < 100; i++) {
      const now = await readClipboard({ env: x.env }).catch(() => undefined);
      if (now?.data.toString('utf8') === USER_CLIPBOARD) return;
      await sleep(100);
    }
    throw new Error('the user’s clipboard was not given back within 10 s');
  };

  /**
   * One press, the phrase spoken, the second press, in a fresh entry (`selected`: its text
   * selected); the times of each step, and what the entry holds afterwards.
   */
  async function round(service, key, selected) {
    const entry = await openEntry(x, selected ? { text: SELECTED } : {});
    try {
      const asked = chat.requests.length;
      const uploaded = uploads.length;
      let from = service.events.length;
      const press = wall();
      await xdotool(x, ['key', key]);
      const recording = await service.next(
        from,
        (e) => e.type === 'state' && e.state === 'recording',
        'recording after the press',
      );
      await mic.play(wav);
      from = service.events.length;
      const stop = wall();
      await xdotool(x, ['key', key]);
      const idle = await service.next(
        from,
        (e) => e.type === 'state' && e.state === 'idle',
        'idle after the stop',
      );
      const transcript = service.events
        .slice(from)
        .find(({ event }) => event.type === 'transcript');
      const text = await entry.submit();
      const id = recording.event.recordingId;
      let kept;
      if (selected) {
        try {
          kept = statSync(join(service.recordings, id, 'selection.json')).mtimeMs;
        } catch {
          // not kept: the round is reported as such
        }
      }
      const upload = uploads.length > uploaded ? uploads.at(-1) : undefined;
      const request = chat.requests.length > asked ? chat.requests.at(-1) : undefined;
      return {
        press,
        recording: recording.at,
        kept,
        stop,
        upload,
        request,
        transcript: transcript?.at,
        idle: idle.at,
        text,
      };
    } finally {
      await entry.stop();
    }
  }

  // 1 and 2: per mode, one service; edits and dictations in turns, the order alternating
  const results = {};
  for (const mode of ['primary', 'copy']) {
    // at debug level the selection reader logs how long each read took (`selection read`, ms)
    const service = await startService(
      `edit-${mode}`,
      { llmBaseURL: chat.baseURL, llmModel: 'test-editor', editSelection: mode },
      { logLevel: 'debug' },
    );
    await copyToClipboard(USER_CLIPBOARD, { env: x.env });
    const edits = [];
    const dictations = [];
    // a first round of each, not counted: the service loads the SDKs on its first use
    for (const [key, selected] of [
      [EDIT_KEY, true],
      [DICTATION_KEY, false],
    ]) {
      await round(service, key, selected);
      await clipboardIsTheUsers();
    }
    for (let i = 0; i < N; i++) {
      const order = i % 2 ? ['dictation', 'edit'] : ['edit', 'dictation'];
      for (const kind of order) {
        if (kind === 'edit') edits.push(await round(service, EDIT_KEY, true));
        else dictations.push(await round(service, DICTATION_KEY, false));
        // the paste output gives the user's clipboard back 1.5 s after its paste
        await clipboardIsTheUsers();
      }
    }
    await service.stop();
    // the reads of the counted edits: the last N the log has
    const reads = readFileSync(service.log, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"selection read"'))
      .map((line) => JSON.parse(line).ms)
      .slice(-N);
    results[mode] = { edits, dictations, reads };
  }

  const f = (a) => (a.length === 0 ? 'n/a' : `${median(a).toFixed(0)} / ${worst(a).toFixed(0)} ms`);
  const of = (rounds, part) => rounds.map(part).filter((v) => Number.isFinite(v));
  const replaced = (r) => r.request && r.text === ANSWER;
  const pasted = (r) => r.text === INSTRUCTION;

  console.log(`\n1. Edit key press → the service, ${N} edits each (median / worst):`);
  console.log(`   ${''.padEnd(52)}${'primary'.padEnd(21)}copy`);
  const row1 = (label, part) =>
    console.log(
      `   ${label.padEnd(52)}${f(of(results.primary.edits, part)).padEnd(21)}${f(of(results.copy.edits, part))}`,
    );
  row1('press → state recording (what the user waits for)', (r) => r.recording - r.press);
  row1('press → selection kept (selection.json mtime)', (r) => r.kept - r.press);
  console.log(
    `   ${'the read itself, as the service logs it (debug)'.padEnd(52)}${f(results.primary.reads).padEnd(21)}${f(results.copy.reads)}`,
  );
  console.log(
    `   ${'dictation key, same runs: press → recording'.padEnd(52)}${f(of(results.primary.dictations, (r) => r.recording - r.press)).padEnd(21)}${f(of(results.copy.dictations, (r) => r.recording - r.press))}`,
  );

  // the in-process read alone, on its own Xvfb: the output package's bench, as it is
  const child = spawn(process.execPath, [selectionBench], {
    env: { ...process.env, N: String(process.env.SELECTION_N ?? 40) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stopChild = started(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await new Promise((resolve) => child.once('close', resolve));
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.once('close', resolve));
  stops.splice(stops.indexOf(stopChild), 1);
  if (code !== 0) throw new Error(`packages/output/bench/selection.mjs exited with ${code}`);
  console.log(
    `   in-process createSelectionSource({mode}).read() (packages/output/bench/selection.mjs):`,
  );
  for (const line of out.trimEnd().split('\n')) console.log(`     ${line}`);

  console.log(
    `\n2. Stop (second press) → text in the entry, ${N} each, interleaved (median / worst):`,
  );
  // each mode's edits beside the dictations of the same service, recorded in turns with them
  const columns = [
    ['edit, primary', results.primary.edits],
    ['dictation (its run)', results.primary.dictations],
    ['edit, copy', results.copy.edits],
    ['dictation (its run)', results.copy.dictations],
  ];
  console.log(`   ${''.padEnd(52)}${columns.map(([name]) => name.padEnd(21)).join('')}`);
  const row2 = (label, part, only) =>
    console.log(
      `   ${label.padEnd(52)}${columns
        .map(([name, rounds]) =>
          (only && !only.includes(name) ? '—' : f(of(rounds, part))).padEnd(21),
        )
        .join('')}`,
    );
  const EDITS = ['edit, primary', 'edit, copy'];
  const DICTATIONS = ['dictation (its run)'];
  row2('transcription: stop → chat request received', (r) => r.request?.at - r.stop, EDITS);
  row2('  of which stop → upload received', (r) => r.upload?.at - r.stop);
  row2('  of which the recogniser (pocketsphinx)', (r) => r.upload?.answeredAt - r.upload?.at);
  row2('  of which recogniser → chat request', (r) => r.request?.at - r.upload?.answeredAt, EDITS);
  row2('model: chat request → answer sent', (r) => r.request?.answeredAt - r.request?.at, EDITS);
  row2('output: answer sent → idle', (r) => r.idle - r.request?.answeredAt, EDITS);
  row2('  of which answer → transcript event', (r) => r.transcript - r.request?.answeredAt, EDITS);
  row2(
    'dictation: recogniser → transcript event',
    (r) => r.transcript - r.upload?.answeredAt,
    DICTATIONS,
  );
  row2('transcript event → idle (the paste)', (r) => r.idle - r.transcript);
  row2('whole: stop → idle (text in the entry)', (r) => r.idle - r.stop);
  const whole = (r) => r.idle - r.stop;
  // the recogniser's time varies most on a loaded machine, and is the same work in both
  const whis = (r) => r.idle - r.stop - (r.upload.answeredAt - r.upload.at);
  for (const mode of ['primary', 'copy']) {
    const { edits, dictations } = results[mode];
    const ratio = (part) => (median(of(edits, part)) / median(of(dictations, part))).toFixed(2);
    console.log(
      `   edit (${mode}) / dictation of its run, stop → text delivered, medians: ${ratio(whole)}×; without the recogniser's time: ${ratio(whis)}×`,
    );
  }
  console.log(
    `   selection replaced by the answer: primary ${results.primary.edits.filter(replaced).length}/${N}, copy ${results.copy.edits.filter(replaced).length}/${N}; dictations pasted: ${[...results.primary.dictations, ...results.copy.dictations].filter(pasted).length}/${2 * N}`,
  );
  console.log(
    `   a slow edit model: not measured (the chat server's slow behaviour tidies, it does not edit)`,
  );
  console.log(`   load average ${load()} after parts 1–2`);

  // 3. idle memory with edit by voice off and on, the starts interleaved
  const idleRss = async (name, settings) => {
    const service = await startService(name, settings);
    await sleep(5000);
    const mb = treeRss(service.pid);
    await service.stop();
    return mb;
  };
  // `key`: the edit key grabbed, no chat model: where a difference comes from
  const sides = {
    off: { editHotkey: 'none' },
    key: {},
    on: { llmBaseURL: chat.baseURL, llmModel: 'test-editor' },
  };
  const memory = { off: [], key: [], on: [] };
  for (let i = 0; i < STARTS; i++) {
    const order = i % 2 ? ['on', 'key', 'off'] : ['off', 'key', 'on'];
    for (const side of order) memory[side].push(await idleRss(`idle-${side}-${i}`, sides[side]));
  }
  const mb = (a) => `${median(a).toFixed(1)} MB (${a.map((v) => v.toFixed(1)).join(', ')})`;
  console.log(
    `\n3. Idle service, every process, 5 s after its keys are grabbed, median of ${STARTS} interleaved starts:`,
  );
  console.log(`   edit by voice off (editHotkey none, no llmBaseURL)  ${mb(memory.off)}`);
  console.log(`   the edit key alone (no llmBaseURL)                  ${mb(memory.key)}`);
  console.log(`   edit by voice on (edit key, llmBaseURL)             ${mb(memory.on)}`);
  console.log(
    `   on − off: ${(median(memory.on) - median(memory.off)).toFixed(1)} MB (${(median(memory.on) / median(memory.off)).toFixed(3)}×), of which the edit key ${(median(memory.key) - median(memory.off)).toFixed(1)} MB and the chat model ${(median(memory.on) - median(memory.key)).toFixed(1)} MB; goal: none`,
  );
  console.log(`   load average ${load()} at the end`);
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  if (!process.env.KEEP) rmSync(root, { recursive: true, force: true });
}
