import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateDirProblem, readSettings, resolvePaths, type Settings } from '@whis/config';
import { wavFile } from '@whis/contracts';
import { checkRuntimeDir, runtimeDirPath } from '@whis/ipc';
import { ExitCode } from '../errors.js';
import { probeMicrophone } from '../internal/mic-probe.js';
import { loadPackage } from '../lazy.js';
import { withDaemon } from '../daemon.js';
import { checkBindings, checkGnomeShortcut } from './bindings.impl.js';
import type { DoctorArgs } from './doctor.js';

/** One check's verdict: `required` ones decide the exit code. */
export interface Check {
  name: string;
  ok: boolean;
  required: boolean;
  detail: string;
  fix?: string;
}

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

async function checkMicrophone(settings: Settings): Promise<Check[]> {
  const result = await probeMicrophone({
    ms: 1000,
    ...(settings.device ? { device: settings.device } : {}),
  });
  const library: Check = {
    name: 'Audio library',
    ok: result.code !== 'native-unavailable',
    required: true,
    detail:
      result.code === 'native-unavailable' ? (result.message ?? '') : 'naudiodon (PortAudio) loads',
    ...(result.code === 'native-unavailable'
      ? { fix: 'Rebuild the native addons: ./scripts/setup.sh (or npm rebuild naudiodon).' }
      : {}),
  };
  const microphone: Check = result.ok
    ? {
        name: 'Microphone',
        ok: true,
        required: true,
        detail: `"${result.device}" delivers audio (first frame after ${Math.round(result.firstFrameMs ?? 0)} ms, peak level ${(result.peak ?? 0).toFixed(3)})`,
      }
    : {
        name: 'Microphone',
        ok: false,
        required: true,
        detail: result.message ?? 'no audio arrived within a second',
        fix:
          result.code === 'device-not-found'
            ? '`whis devices` lists the microphones; `whis config set device <index or name>`.'
            : 'Check that PulseAudio or PipeWire runs (`pactl info`) and a microphone is connected; `whis devices` lists what is seen.',
      };
  return [library, microphone];
}

// Silero VAD, loaded as the service loads it after a first recording (its model checked first).
async function checkSpeechDetection(settings: Settings): Promise<Check> {
  const name = 'Speech detection';
  if (settings.speechDetection === false)
    return {
      name,
      ok: true,
      required: false,
      detail: 'off (speechDetection false): loudness and the list of silence hallucinations decide',
    };
  try {
    const audio = await loadPackage<typeof import('@whis/audio')>('@whis/audio');
    await audio.loadSpeechModel();
    return { name, ok: true, required: false, detail: 'Silero VAD loads (sherpa-onnx)' };
  } catch (err) {
    return {
      name,
      ok: false,
      required: false,
      detail: `${(err as Error).message}`,
      fix: 'Reinstall whis (./scripts/setup.sh, or npm ci); until then short replies such as "thank you" may be dropped and noise sent.',
    };
  }
}

// The backend `whis listen` would use, and whether it can work here: on Wayland, the desktop
// portal is asked whether it offers GlobalShortcuts.
async function checkHotkey(settings: Settings, session: string): Promise<Check> {
  const backendSetting = settings.hotkeyBackend ?? 'auto';
  const name = 'Hotkey';
  if (backendSetting === 'none') {
    return {
      name,
      ok: true,
      required: false,
      detail:
        'off (hotkeyBackend none): your desktop binds `whis toggle`, or `whis start` and `whis finish`',
    };
  }
  const hotkey = await loadPackage<typeof import('@whis/hotkey')>('@whis/hotkey');
  const env = process.env;
  const backend = hotkey.resolveHotkeyBackend(backendSetting, env);
  if (backend === 'portal') {
    const probe = await hotkey.probeGlobalShortcuts(env);
    return probe.ok
      ? {
          name,
          ok: true,
          required: false,
          detail: `desktop portal (GlobalShortcuts version ${probe.version}): the desktop binds the key when \`whis listen\` starts (it may ask the first time)`,
        }
      : {
          name,
          ok: false,
          required: false,
          detail: 'desktop portal: unavailable',
          fix: probe.reason,
        };
  }
  const reason = hotkey.hotkeyUnavailableReason(env);
  const works = session === 'x11' || session === 'macos' || session === 'windows';
  if (!reason && session === 'x11' && hotkey.grabsOnX11()) return checkKeyGrab(settings, env);
  return {
    name,
    ok: works && !reason,
    required: false,
    detail: reason
      ? 'X11: unavailable'
      : works
        ? 'X11: the global hotkey works here'
        : 'no display to listen on',
    ...(reason || !works
      ? {
          fix:
            reason ??
            'Bind `whis toggle` to a key in your desktop and run `whis listen --hotkey-backend none`.',
        }
      : {}),
  };
}

// On X11 the hotkey is a key grab: another program (often the desktop's own shortcut) may hold the
// chord already. A running service that holds it says so itself; otherwise the chord is grabbed
// and given back at once.
async function checkKeyGrab(settings: Settings, env: NodeJS.ProcessEnv): Promise<Check> {
  const name = 'Hotkey';
  const running = await withDaemon((client) => client.request('status'), {
    timeoutMs: 2000,
  }).catch(() => undefined);
  if (running?.hotkey && running.hotkeyBackend === 'x11') {
    return running.hotkeyActive
      ? {
          name,
          ok: true,
          required: false,
          detail: `X11: ${running.hotkey} is held by the running service (pid ${running.pid}); it reaches whis alone`,
        }
      : {
          name,
          ok: false,
          required: false,
          detail: `X11: the running service (pid ${running.pid}) has no hotkey`,
          fix: running.hotkeyProblem ?? 'See `whis status`.',
        };
  }
  const hotkey = await loadPackage<typeof import('@whis/hotkey')>('@whis/hotkey');
  const spec = settings.hotkey ?? 'ctrl+shift+r';
  const probe = await hotkey.probeKeyGrab(spec, env.DISPLAY!);
  return probe.ok
    ? {
        name,
        ok: true,
        required: false,
        detail: `X11: ${hotkey.formatHotkey(hotkey.parseHotkey(spec))} is free; \`whis listen\` grabs it, so it reaches whis alone`,
      }
    : {
        name,
        ok: false,
        required: false,
        detail: probe.taken ? 'X11: the hotkey is taken' : 'X11: unavailable',
        fix: probe.reason,
      };
}

async function checkSession(settings: Settings): Promise<Check[]> {
  const output = await loadPackage<typeof import('@whis/output')>('@whis/output');
  const env = process.env;
  const session = output.detectSession(env, process.platform);
  // what the outputs need, from their rows in the catalogue
  const { outputNeeds } = await loadPackage<typeof import('@whis/service')>('@whis/service');
  const need = outputNeeds(settings.outputs ?? ['clipboard']);
  const checks: Check[] = [];
  checks.push({
    name: 'Session',
    ok: session.kind !== 'none',
    required: need.display,
    detail:
      session.kind === 'none'
        ? 'no graphical session: neither DISPLAY nor WAYLAND_DISPLAY is set'
        : `${session.kind === 'x11' ? 'X11' : session.kind === 'wayland' ? 'Wayland' : session.desktop} (${session.desktop})`,
    ...(session.kind === 'none'
      ? { fix: 'Run whis inside your graphical session (or use `outputs stdout,file`).' }
      : {}),
  });
  checks.push(await checkHotkey(settings, session.kind));
  if (need.clipboard) {
    const tools = output.clipboardTools(env, process.platform);
    const found = tools.find((t) => output.onPath(t.command, env));
    checks.push({
      name: 'Clipboard',
      ok: found !== undefined,
      required: true,
      detail: found
        ? found.command
        : tools.length
          ? `none of ${tools.map((t) => t.command).join(', ')}`
          : 'no clipboard without a display',
      ...(found || tools.length === 0 ? {} : { fix: `Install ${tools[0]!.install}.` }),
    });
  }
  if (need.keyboard) {
    const insertion = output.describeInsertion(output.insertOptionsFrom(settings));
    let detail = insertion.tool ? `${insertion.tool} (${insertion.why})` : insertion.why;
    let fix = insertion.tool
      ? undefined
      : 'Install the tool named above, or `whis config set outputs clipboard`.';
    if (insertion.tool === 'portal') {
      // what the desktop answers, without starting a session (no dialog, no notification)
      const probe = await output.probeRemoteDesktop(env);
      const fallback = settings.typeTool
        ? undefined
        : (['ydotool', 'dotool', 'wtype'] as const).find((n) => output.KEYBOARDS[n].usable(env));
      if (probe.ok && probe.keyboard) detail = `desktop portal (${probe.detail}; ${insertion.why})`;
      else if (fallback)
        detail = `${fallback} (the desktop portal cannot type: ${probe.ok ? 'no keyboard' : probe.reason})`;
      else {
        detail = probe.ok ? 'the desktop portal offers no keyboard' : probe.reason;
        fix = 'Follow the advice above, or `whis config set outputs clipboard`.';
      }
    }
    checks.push({
      name: 'Typing and pasting',
      ok: fix === undefined,
      required: true,
      detail,
      ...(fix ? { fix } : {}),
    });
  }
  return checks;
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

const loadTranscribe = () => loadPackage<typeof import('@whis/transcribe')>('@whis/transcribe');
type Transcribe = Awaited<ReturnType<typeof loadTranscribe>>;

// In realtime mode: a live session set up, a second of silence streamed and committed, its (empty)
// text back. Not required: what the session misses is uploaded.
async function checkLive(transcribe: Transcribe, settings: Settings): Promise<Check[]> {
  const options = transcribe.resolveRealtimeOptions({ env: process.env, settings });
  if (!options) return [];
  const where = `${options.baseURL ?? 'https://api.openai.com/v1'}/realtime, model ${options.model}`;
  let session: Awaited<ReturnType<Transcribe['openRealtimeSession']>> | undefined;
  try {
    session = await transcribe.openRealtimeSession({ ...options, segmentTimeoutMs: 15_000 });
    session.append(new Int16Array(16_000), 0);
    session.end();
    await session.text(0);
    return [
      { name: 'Live session', ok: true, required: false, detail: `${where}: set up and answered` },
    ];
  } catch (err) {
    return [
      {
        name: 'Live session',
        ok: false,
        required: false,
        detail: `${where}: ${(err as Error).message}`,
        fix: "Dictations still work: each segment is uploaded instead. Check the model (`whis config set model gpt-live-transcribe`, or your server's), or `whis config set mode file`.",
      },
    ];
  } finally {
    session?.close();
  }
}

async function checkTranscription(settings: Settings): Promise<Check[]> {
  const transcribe = await loadTranscribe();
  const file = await checkFileTranscription(settings);
  // the live session is worth checking only with a key that works
  return file.every((c) => c.ok) ? [...file, ...(await checkLive(transcribe, settings))] : file;
}

async function checkFileTranscription(settings: Settings): Promise<Check[]> {
  const { fileEngine } =
    await loadPackage<typeof import('@whis/service/engines')>('@whis/service/engines');
  let engine;
  try {
    // one try, no retries: the doctor reports what the endpoint answers the first time
    engine = fileEngine(settings, process.env, { maxRetries: 0 });
  } catch (err) {
    return [
      {
        name: 'API key',
        ok: false,
        required: true,
        detail: 'none set',
        fix: (err as Error).message.replace(/^No API key\. /, ''),
      },
    ];
  }
  const { options, transcriber } = engine;
  const key: Check = {
    name: 'API key',
    ok: true,
    required: true,
    detail: `set (…${options.apiKey.slice(-4)})`,
  };
  const endpoint = options.baseURL ?? 'https://api.openai.com/v1';
  // a second of silence, sent as a dictation is: the endpoint, the key and the model in one request
  const dir = await mkdtemp(join(tmpdir(), 'whis-doctor-'));
  try {
    const path = join(dir, 'silence.wav');
    // a second of silence as a 16 kHz mono WAV
    const wav = wavFile(new Int16Array(16_000), 16_000);
    await writeFile(path, wav);
    const chunk = { path, mimeType: 'audio/wav', startMs: 0, durationMs: 1000, bytes: wav.length };
    await transcriber.transcribe([chunk], {
      signal: AbortSignal.timeout(20_000),
    });
    return [
      key,
      {
        name: 'Endpoint and model',
        ok: true,
        required: true,
        detail: `${endpoint} accepts ${options.model}`,
      },
    ];
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = (err as Error).message;
    return [
      key,
      {
        name: 'Endpoint and model',
        ok: false,
        required: true,
        detail: `${endpoint}, model ${options.model}: ${message}`,
        fix:
          code === 'model-unavailable'
            ? '`whis config set model gpt-transcribe` (or a model your endpoint serves).'
            : code === 'auth' || code === 'forbidden'
              ? 'Check the key: `whis config --api-key sk-…`.'
              : code === 'network' || code === 'timeout'
                ? 'Check the network, or the endpoint: `whis config set baseURL …`.'
                : 'See the message; `whis logs` after a dictation has more.',
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Only what is turned on is checked, and none of it is required: a dictation works without it.
async function checkFeedback(settings: Settings): Promise<Check[]> {
  const feedback = await loadPackage<typeof import('@whis/feedback')>('@whis/feedback');
  const probes = await feedback.probeFeedback(settings);
  return probes.map((probe) => ({ ...probe, required: false }));
}

// Each step the chain (or a profile) names. Not required: a step that cannot work leaves the text
// as heard, so a dictation still succeeds; the check says what the user is missing.
async function checkPostProcess(settings: Settings): Promise<Check[]> {
  const named = [
    ...(settings.postProcess ?? []),
    ...Object.values(settings.profiles ?? {}).flatMap((p) => p.postProcess ?? []),
  ];
  if (named.length === 0) return [];
  const { checkChain } = await loadPackage<typeof import('@whis/postprocess')>('@whis/postprocess');
  const checks = await checkChain(settings, process.env);
  return checks.map((c) => ({
    name: `Post-processing: ${c.step}`,
    ok: c.ok,
    required: false,
    detail: c.detail,
    ...(c.fix ? { fix: c.fix } : {}),
  }));
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

export async function runDoctor(args: DoctorArgs): Promise<number> {
  const { check: settingsCheck, settings } = await checkSettings();
  const checks: Check[] = [checkNode(), settingsCheck];
  const [microphone, speech, session, bindings, directories, transcription, feedback, postProcess] =
    await Promise.all([
      checkMicrophone(settings),
      checkSpeechDetection(settings),
      checkSession(settings),
      Promise.all([checkBindings(settings), checkGnomeShortcut(settings)]).then((c) => c.flat()),
      checkDirectories(),
      checkTranscription(settings),
      checkFeedback(settings),
      checkPostProcess(settings),
    ]);
  checks.push(
    ...microphone,
    speech,
    ...session,
    ...bindings,
    directories,
    ...transcription,
    ...feedback,
    ...postProcess,
  );
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
