import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wavFile } from '@whis/contracts';
import { run, runChecked, stopChild } from './process.js';
import type { SessionBus } from './session-bus.js';
import type { VirtualDisplay } from './xvfb.js';

export interface NotificationDaemon {
  pid: number;
  /** `dunstctl count displayed`: the notifications on screen now. */
  displayed(): Promise<number>;
  /** `dunstctl count history` + displayed: every notification shown since the start. */
  shown(): Promise<number>;
  /** Stops the dunst this call started. */
  stop(): Promise<void>;
}

/** Starts dunst (the freedesktop Notifications service) on `bus`, drawing on `display`. */
export async function startNotificationDaemon(
  bus: SessionBus,
  display: VirtualDisplay,
): Promise<NotificationDaemon> {
  const env = { ...bus.env, DISPLAY: display.display };
  // a config file of its own: the machine's dunstrc (or the user's) must not change what is shown
  const rc = join(bus.directory, 'dunstrc');
  await writeFile(rc, '[global]\n    timeout = 60\n    idle_threshold = 0\n');
  const child = spawn('dunst', ['-config', rc], { env, stdio: 'ignore' });
  child.once('error', () => undefined);
  await bus.waitForName('org.freedesktop.Notifications');
  const count = async (what: string) =>
    Number((await runChecked('dunstctl', ['count', what], { env })).stdout.trim());
  return {
    pid: child.pid!,
    displayed: () => count('displayed'),
    shown: async () => (await count('displayed')) + (await count('history')),
    stop: () => stopChild(child),
  };
}

export interface MediaPlayer {
  /** Its MPRIS bus name, e.g. `org.mpris.MediaPlayer2.mpv` or `…mpv.instance1234`. */
  name: string;
  pid: number;
  /** `Playing`, `Paused` or `Stopped`, read with playerctl. */
  status(): Promise<string>;
  /** What a user does with the player's controls (playerctl play / pause). */
  play(): Promise<void>;
  pause(): Promise<void>;
  /** Stops the mpv this call started (it leaves the bus). */
  stop(): Promise<void>;
}

/** A 440 Hz tone, `seconds` long, 16 kHz mono: something for a player to play. */
export function toneWav(seconds = 2, frequency = 440): Buffer {
  const rate = 16_000;
  const pcm = new Int16Array(rate * seconds);
  for (let i = 0; i < pcm.length; i++)
    pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * frequency * i) / rate));
  return wavFile(pcm, rate);
}

let players = 0;

/**
 * Starts mpv with its MPRIS plugin on `bus`, playing a tone in a loop with no sound card
 * (`--ao=null`); `paused` starts it paused. Resolves once its MPRIS name is on the bus.
 */
export async function startMediaPlayer(
  bus: SessionBus,
  options: { paused?: boolean } = {},
): Promise<MediaPlayer> {
  const file = join(bus.directory, `tone-${++players}.wav`);
  await writeFile(file, toneWav());
  const child: ChildProcess = spawn(
    'mpv',
    [
      '--no-config',
      '--script=/usr/lib/mpv-mpris/mpris.so',
      '--ao=null',
      '--vo=null',
      '--no-video',
      '--loop-file=inf',
      '--no-terminal',
      ...(options.paused ? ['--pause'] : []),
      file,
    ],
    { env: bus.env, stdio: 'ignore' },
  );
  child.once('error', () => undefined);
  const candidates = [
    'org.mpris.MediaPlayer2.mpv',
    `org.mpris.MediaPlayer2.mpv.instance${child.pid}`,
  ];
  const deadline = Date.now() + 10_000;
  let name: string | undefined;
  while (!name) {
    if (child.exitCode !== null)
      throw new Error(`mpv exited (${child.exitCode}) before it was on the bus`);
    if (Date.now() > deadline) throw new Error('mpv did not appear on the bus');
    for (const candidate of candidates) {
      // the plain name belongs to the first mpv; a second one takes the instance name
      if (await bus.hasOwner(candidate)) {
        const owner = await run(
          'dbus-send',
          [
            `--bus=${bus.address}`,
            '--print-reply=literal',
            '--dest=org.freedesktop.DBus',
            '/org/freedesktop/DBus',
            'org.freedesktop.DBus.GetConnectionUnixProcessID',
            `string:${candidate}`,
          ],
          { env: bus.env },
        );
        if (owner.stdout.includes(String(child.pid))) name = candidate;
      }
    }
    if (!name) await new Promise((r) => setTimeout(r, 50));
  }
  const short = name.slice('org.mpris.MediaPlayer2.'.length);
  const ctl = (command: string) =>
    runChecked('playerctl', ['-p', short, command], { env: bus.env });
  const player: MediaPlayer = {
    name,
    pid: child.pid!,
    status: async () => (await ctl('status')).stdout.trim(),
    play: async () => {
      await ctl('play');
      await until(player, 'Playing');
    },
    pause: async () => {
      await ctl('pause');
      await until(player, 'Paused');
    },
    stop: () => stopChild(child),
  };
  await until(player, options.paused ? 'Paused' : 'Playing');
  return player;
}

async function until(player: MediaPlayer, status: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await player.status()) !== status) {
    if (Date.now() > deadline) throw new Error(`${player.name} is not ${status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
