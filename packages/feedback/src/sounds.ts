import { accessSync, constants, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { CUES, deadline, isTimeout, untilAborted, wavFile, type Cue } from '@whis/contracts';
import { ProcessError, runProcess } from '@whis/process';

// The cues are `@whis/contracts`' list, which the settings check without loading this package;
// NOTES below is typed against it, one row per cue.
export { CUES, type Cue };

/** Sample rate of the cues: what desktop sound servers run at, so nothing is resampled. */
export const CUE_RATE = 48_000;

interface Note {
  hz: number;
  ms: number;
}

// Short sine notes with raised-cosine edges (no clicks; the soft 15 ms fades keep each note's
// spectrum narrow, so that the capture's notch filter takes the start cue out completely): a rising pair to start, the same pair
// falling to stop, two low notes for a failure. Made here, so whis ships no sound files.
const EDGE_S = 0.015;

const NOTES: Record<Cue, Note[]> = {
  start: [
    { hz: 660, ms: 50 },
    { hz: 990, ms: 60 },
  ],
  stop: [
    { hz: 990, ms: 50 },
    { hz: 660, ms: 60 },
  ],
  error: [
    { hz: 330, ms: 90 },
    { hz: 0, ms: 40 },
    { hz: 330, ms: 90 },
  ],
};

/** How long a cue lasts, in ms. */
export function cueDurationMs(cue: Cue): number {
  return NOTES[cue].reduce((sum, note) => sum + note.ms, 0);
}

/** The frequencies (Hz) a cue is made of, for tests that look for it in a recording. */
export function cueFrequencies(cue: Cue): number[] {
  return [...new Set(NOTES[cue].map((n) => n.hz).filter((hz) => hz > 0))];
}

/** A cue as 16-bit mono PCM at CUE_RATE; `volume` 0..100 (100 is half of full scale, to leave headroom). */
export function synthesizeCue(cue: Cue, volume = 60): Int16Array {
  const amplitude = Math.max(0, Math.min(100, volume)) / 100 / 2;
  const edge = Math.round(CUE_RATE * EDGE_S);
  const parts = NOTES[cue].map(({ hz, ms }) => {
    const n = Math.round((CUE_RATE * ms) / 1000);
    const pcm = new Int16Array(n);
    if (hz === 0) return pcm;
    for (let i = 0; i < n; i++) {
      const fade = Math.min(1, i / edge, (n - 1 - i) / edge);
      const envelope = 0.5 - 0.5 * Math.cos(Math.PI * Math.max(0, fade));
      pcm[i] = Math.round(
        32767 * amplitude * envelope * Math.sin((2 * Math.PI * hz * i) / CUE_RATE),
      );
    }
    return pcm;
  });
  const out = new Int16Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A cue as a WAV file. */
export function cueWav(cue: Cue, volume?: number): Buffer {
  return wavFile(synthesizeCue(cue, volume), CUE_RATE);
}

/** A program that plays a WAV file and exits once it has been heard. */
export interface SoundCommand {
  command: string;
  /** Arguments before the file. */
  args: string[];
  /** The arguments that name the file (default: the file itself, last). */
  fileArgs?: (file: string) => string[];
}

/** The arguments `player` is run with to play `file`. */
export function soundCommandLine(player: SoundCommand, file: string): string[] {
  return [...player.args, ...(player.fileArgs ? player.fileArgs(file) : [file])];
}

// PowerShell's -Command does not bind `$args` to the arguments after it, and its quoting rules
// are not CreateProcess's: the script goes base64-encoded (UTF-16LE, as -EncodedCommand takes it)
// with the file as a single-quoted literal, where only `'` is special (doubled).
function powershellPlay(file: string): string[] {
  const script = `(New-Object Media.SoundPlayer '${file.replace(/'/g, "''")}').PlaySync()`;
  return ['-EncodedCommand', Buffer.from(script, 'utf16le').toString('base64')];
}

// PipeWire's own player, then PulseAudio's (which PipeWire also serves through pipewire-pulse),
// then ALSA's. Each exits after the sound has drained, so "exited" means "heard". A short latency:
// the sound server's default (up to 2 s of buffer) makes the drain, and every stream on the same
// device, run in large blocks.
const LINUX_PLAYERS: SoundCommand[] = [
  { command: 'pw-play', args: ['--media-role=Notification', '--latency=30ms'] },
  { command: 'paplay', args: ['--property=media.role=event', '--latency-msec=30'] },
  { command: 'aplay', args: ['-q'] },
];

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The desktop's own player for this platform, or undefined when there is none: `pw-play` (where a
 * PipeWire server listens), `paplay` or `aplay` on Linux (the first on PATH), `afplay` on macOS,
 * PowerShell's SoundPlayer on Windows.
 */
export function findSoundCommand(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): SoundCommand | undefined {
  if (platform === 'darwin') return { command: 'afplay', args: [] };
  if (platform === 'win32')
    return {
      command: 'powershell.exe',
      args: ['-NoProfile', '-NonInteractive'],
      fileArgs: powershellPlay,
    };
  return findSoundCommands(platform, env)[0];
}

/**
 * Every player there is, in the order they are tried (Linux: each of pw-play, paplay, aplay on
 * PATH; pw-play only where a PipeWire server listens). A player that fails hands the cue on.
 */
export function findSoundCommands(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): SoundCommand[] {
  if (platform === 'darwin' || platform === 'win32') return [findSoundCommand(platform, env)!];
  return LINUX_PLAYERS.filter(
    (player) =>
      onPath(player.command, env) && (player.command !== 'pw-play' || pipewireListens(env)),
  );
}

// pw-play talks only to a PipeWire server, and its binary comes with desktop packages even where
// PulseAudio is the sound server: there it fails, and the cue is never heard. A PipeWire server
// listens on PIPEWIRE_REMOTE (default pipewire-0) in PIPEWIRE_RUNTIME_DIR or XDG_RUNTIME_DIR.
function pipewireListens(env: NodeJS.ProcessEnv): boolean {
  const remote = env.PIPEWIRE_REMOTE ?? 'pipewire-0';
  const dir = env.PIPEWIRE_RUNTIME_DIR ?? env.XDG_RUNTIME_DIR;
  if (isAbsolute(remote)) return existsSync(remote);
  return dir !== undefined && existsSync(join(dir, remote));
}

/** Plays the cues. */
export interface SoundPlayer {
  /** e.g. `paplay`; undefined when there is no player. */
  readonly command: string | undefined;
  /** Plays a cue and resolves once it has been heard (or after `timeoutMs`); never rejects. */
  play(cue: Cue): Promise<void>;
  close(): Promise<void>;
}

export interface SoundPlayerOptions {
  /** 0..100. Default 60. */
  volume?: number;
  /** The player; default `findSoundCommand()`. */
  command?: SoundCommand;
  env?: NodeJS.ProcessEnv;
  /** A cue that has not ended after this long no longer holds anything up, and its player is killed. Default 600 ms. */
  timeoutMs?: number;
  /** Told when a cue could not be played. */
  onError?: (err: Error) => void;
}

/**
 * Plays cues through the desktop's player (a process per cue, so a broken sound setup can never
 * take the service down). The WAV files are written once, into a private temporary folder.
 */
export function createSoundPlayer(options: SoundPlayerOptions = {}): SoundPlayer {
  const env = options.env ?? process.env;
  // pw-play is installed on many machines whose sound server is PulseAudio ("Host is down"): a
  // player that fails hands the cue, and every later one, to the next player there is
  const players = options.command ? [options.command] : findSoundCommands(process.platform, env);
  let current = 0;
  const timeoutMs = options.timeoutMs ?? 600;
  let folder: Promise<string> | undefined;
  const files = new Map<Cue, Promise<string>>();
  const file = (cue: Cue) => {
    let path = files.get(cue);
    if (!path) {
      folder ??= mkdtemp(join(tmpdir(), 'whis-cues-'));
      path = folder.then(async (dir) => {
        const target = join(dir, `${cue}.wav`);
        await writeFile(target, cueWav(cue, options.volume), { mode: 0o600 });
        return target;
      });
      files.set(cue, path);
    }
    return path;
  };
  return {
    get command() {
      return players[current]?.command;
    },
    async play(cue) {
      if (players.length === 0) return;
      let path: string;
      try {
        path = await file(cue);
      } catch (err) {
        options.onError?.(err as Error);
        return;
      }
      while (current < players.length) {
        const player = players[current]!;
        try {
          // a player that hangs (a stuck sound server) holds nothing up after timeoutMs, and is
          // ended then with what it started (SIGTERM, then SIGKILL for one that ignores it)
          const run = runProcess({
            command: player.command,
            args: soundCommandLine(player, path),
            env,
            timeoutMs,
          });
          await untilAborted(run, deadline(timeoutMs));
          return;
        } catch (err) {
          const timedOut =
            isTimeout(err) || (err instanceof ProcessError && err.code === 'timeout');
          if (timedOut) return;
          if (current === players.length - 1) {
            options.onError?.(err as Error);
            return;
          }
          current++;
        }
      }
    },
    async close() {
      if (folder) await rm(await folder, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
