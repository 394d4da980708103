import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toneShare } from '@whis/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSoundPlayer,
  cueDurationMs,
  cueFrequencies,
  CUE_RATE,
  cueWav,
  findSoundCommand,
  soundCommandLine,
  synthesizeCue,
} from './sounds.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-sounds-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the cues', () => {
  it.each(['start', 'stop', 'error'] as const)(
    '%s lasts what it says and is made of its notes',
    (cue) => {
      const pcm = synthesizeCue(cue);
      expect(pcm.length).toBe(Math.round((CUE_RATE * cueDurationMs(cue)) / 1000));
      const total = cueFrequencies(cue).reduce((sum, hz) => sum + toneShare(pcm, CUE_RATE, hz), 0);
      expect(total).toBeGreaterThan(0.3);
      expect(toneShare(pcm, CUE_RATE, 1500)).toBeLessThan(0.01);
    },
  );

  it('starts and ends in silence (no click) and follows the volume', () => {
    const loud = synthesizeCue('start', 100);
    const soft = synthesizeCue('start', 20);
    expect(Math.abs(loud[0]!)).toBe(0);
    expect(Math.abs(loud.at(-1)!)).toBeLessThan(200);
    const peak = (pcm: Int16Array) => pcm.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    expect(peak(loud)).toBeLessThanOrEqual(16_384);
    expect(peak(loud)).toBeGreaterThan(16_000);
    expect(peak(soft) / peak(loud)).toBeCloseTo(0.2, 1);
    expect(peak(synthesizeCue('start', 0))).toBe(0);
  });

  it('is a 48 kHz mono 16-bit WAV file', () => {
    const wav = cueWav('stop');
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(CUE_RATE);
    expect(wav.readUInt16LE(22)).toBe(1);
  });
});

describe('the player', () => {
  it('finds the first of pw-play, paplay, aplay on PATH, and the platform players elsewhere', async () => {
    for (const name of ['paplay', 'aplay']) {
      await writeFile(join(dir, name), '#!/bin/sh\n');
      await chmod(join(dir, name), 0o755);
    }
    expect(findSoundCommand('linux', { PATH: dir })?.command).toBe('paplay');
    expect(findSoundCommand('linux', { PATH: '/nonexistent' })).toBeUndefined();
    expect(findSoundCommand('darwin', {})?.command).toBe('afplay');
    expect(findSoundCommand('win32', {})?.command).toBe('powershell.exe');
  });

  it('pw-play only where a PipeWire server listens: beside PulseAudio alone, paplay', async () => {
    for (const name of ['pw-play', 'paplay']) {
      await writeFile(join(dir, name), '#!/bin/sh\n');
      await chmod(join(dir, name), 0o755);
    }
    // pipewire-bin comes with desktop packages even where PulseAudio is the sound server
    const runtime = await mkdtemp(join(dir, 'run-'));
    const env = { PATH: dir, XDG_RUNTIME_DIR: runtime };
    expect(findSoundCommand('linux', env)?.command).toBe('paplay');
    await writeFile(join(runtime, 'pipewire-0'), '');
    expect(findSoundCommand('linux', env)?.command).toBe('pw-play');
    // a server named by PIPEWIRE_REMOTE
    expect(findSoundCommand('linux', { ...env, PIPEWIRE_REMOTE: 'other' })?.command).toBe('paplay');
  });

  it('Windows: the file is a literal in the script PowerShell runs, whatever its name holds', () => {
    const player = findSoundCommand('win32', {})!;
    const file = "C:\\Users\\O'Brien $HOME\\AppData\\Local\\Temp\\whis-cues-x\\start.wav";
    const args = soundCommandLine(player, file);
    expect(args.slice(0, -2)).toEqual(['-NoProfile', '-NonInteractive']);
    expect(args.at(-2)).toBe('-EncodedCommand');
    const script = Buffer.from(args.at(-1)!, 'base64').toString('utf16le');
    expect(script).toBe(
      "(New-Object Media.SoundPlayer 'C:\\Users\\O''Brien $HOME\\AppData\\Local\\Temp\\whis-cues-x\\start.wav').PlaySync()",
    );
    // elsewhere the file is the last argument
    expect(soundCommandLine({ command: 'paplay', args: ['-q'] }, '/tmp/a b.wav')).toEqual([
      '-q',
      '/tmp/a b.wav',
    ]);
  });

  it('a hung player is killed once it stops holding up the cue', async () => {
    const pidFile = join(dir, 'pid');
    const hung = join(dir, 'hung');
    await writeFile(hung, `#!/bin/sh\necho $$ > "${pidFile}"\nexec sleep 30\n`);
    await chmod(hung, 0o755);
    const player = createSoundPlayer({ command: { command: hung, args: [] }, timeoutMs: 200 });
    await player.play('start');
    const pid = Number(await readFile(pidFile, 'utf8'));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      await expect.poll(alive).toBe(false);
    } finally {
      if (alive()) process.kill(pid, 'SIGKILL');
      await player.close();
    }
  });

  it('a hung player that ignores SIGTERM is killed too, with what it started', async () => {
    const pidFile = join(dir, 'pids');
    const hung = join(dir, 'stubborn');
    // the player and its child both ignore SIGTERM (an ignored signal stays ignored across exec)
    await writeFile(
      hung,
      `#!/bin/sh\ntrap '' TERM\nsleep 30 &\necho "$$ $!" > "${pidFile}"\nwait\n`,
    );
    await chmod(hung, 0o755);
    const player = createSoundPlayer({ command: { command: hung, args: [] }, timeoutMs: 200 });
    await player.play('start');
    const pids = (await readFile(pidFile, 'utf8')).trim().split(' ').map(Number);
    // alive and not a zombie waiting for its parent
    const alive = (pid: number) => {
      try {
        return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    try {
      await expect.poll(() => pids.map(alive), { timeout: 5000 }).toEqual([false, false]);
    } finally {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await player.close();
    }
  });

  it('plays a cue by running the player on its WAV file, and waits for it to end', async () => {
    const log = join(dir, 'played');
    const script = join(dir, 'fake-player');
    await writeFile(script, `#!/bin/sh\nsleep 0.2\ncp "$2" "${log}"\n`);
    await chmod(script, 0o755);
    const player = createSoundPlayer({
      command: { command: script, args: ['--flag'] },
      volume: 30,
    });
    const started = Date.now();
    await player.play('error');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(await readFile(log)).toEqual(cueWav('error', 30));
    await player.close();
  });

  it('never rejects: a missing or failing player is reported and skipped, a hung one stops holding up', async () => {
    const errors: Error[] = [];
    const missing = createSoundPlayer({
      command: { command: join(dir, 'nothing-here'), args: [] },
      onError: (err) => errors.push(err),
    });
    await missing.play('start');
    expect(errors).toHaveLength(1);
    const hung = join(dir, 'hung');
    await writeFile(hung, '#!/bin/sh\nsleep 5\n');
    await chmod(hung, 0o755);
    const slow = createSoundPlayer({ command: { command: hung, args: [] }, timeoutMs: 100 });
    const started = Date.now();
    await slow.play('start');
    expect(Date.now() - started).toBeLessThan(2000);
    await Promise.all([missing.close(), slow.close()]);
  });

  it('a player that fails (pw-play whose server went away) hands this cue and the next to the next player', async () => {
    // a PATH of its own: a pw-play that fails as it does without a PipeWire server, a working paplay
    const bin = join(dir, 'bin');
    const calls = join(dir, 'calls');
    await (await import('node:fs/promises')).mkdir(bin);
    await writeFile(
      join(bin, 'pw-play'),
      `#!/bin/sh\necho pw-play >> "${calls}"\necho "Host is down" >&2\nexit 1\n`,
    );
    await writeFile(join(bin, 'paplay'), `#!/bin/sh\necho paplay >> "${calls}"\n`);
    await chmod(join(bin, 'pw-play'), 0o755);
    await chmod(join(bin, 'paplay'), 0o755);
    const errors: Error[] = [];
    // a PipeWire socket is there, and pw-play still fails (a server that went away)
    await writeFile(join(dir, 'pipewire-0'), '');
    const player = createSoundPlayer({
      env: { PATH: `${bin}:/usr/bin:/bin`, XDG_RUNTIME_DIR: dir },
      onError: (err) => errors.push(err),
    });
    expect(player.command).toBe('pw-play');
    await player.play('start');
    await player.play('stop');
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([
      'pw-play',
      'paplay',
      'paplay',
    ]);
    expect(player.command).toBe('paplay');
    expect(errors).toEqual([]);
    await player.close();
  });
});
