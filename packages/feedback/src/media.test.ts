// Real MPRIS players (mpv with its MPRIS plugin, no sound card) on a private session bus.
import {
  startMediaPlayer,
  startSessionBus,
  type MediaPlayer,
  type SessionBus,
} from '@whis/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectSessionBus } from './dbus.js';
import { createMediaPauser, type MediaPauser } from './media.js';

let bus: SessionBus;
let players: MediaPlayer[] = [];
let pauser: MediaPauser;

beforeEach(async () => {
  bus = await startSessionBus();
  pauser = createMediaPauser(() => connectSessionBus({ env: bus.env }));
});
afterEach(async () => {
  pauser?.close();
  await Promise.all(players.map((p) => p.stop()));
  players = [];
  await bus?.stop();
});

const player = async (options?: { paused?: boolean }) => {
  const started = await startMediaPlayer(bus, options);
  players.push(started);
  return started;
};

// mpv announces the change a moment after the call returns
const settle = () => new Promise((r) => setTimeout(r, 150));

describe('pausing media while dictating', () => {
  it('pauses the playing players and resumes them after', async () => {
    const [a, b] = [await player(), await player()];
    const paused = await pauser.pause();
    expect([...paused.players].sort()).toEqual([a.name, b.name].sort());
    expect(await a.status()).toBe('Paused');
    expect(await b.status()).toBe('Paused');
    await settle();
    expect((await paused.resume()).sort()).toEqual([a.name, b.name].sort());
    await expect.poll(() => a.status()).toBe('Playing');
    await expect.poll(() => b.status()).toBe('Playing');
  });

  it('leaves a player the user had paused before paused', async () => {
    const playing = await player();
    const userPaused = await player({ paused: true });
    const paused = await pauser.pause();
    expect(paused.players).toEqual([playing.name]);
    await settle();
    await paused.resume();
    await expect.poll(() => playing.status()).toBe('Playing');
    await settle();
    expect(await userPaused.status()).toBe('Paused');
  });

  it('does not resume a player the user played and paused again during the dictation', async () => {
    const touched = await player();
    const other = await player();
    const paused = await pauser.pause();
    await settle();
    // as a person does it: play, and pause a moment later (a pause in the same instant as the
    // play can reach the player as no change at all)
    await touched.play();
    await expect.poll(() => touched.status()).toBe('Playing');
    await settle();
    await touched.pause();
    await settle();
    expect(await paused.resume()).toEqual([other.name]);
    await settle();
    expect(await touched.status()).toBe('Paused');
    expect(await other.status()).toBe('Playing');
  });

  it('leaves playing a player the user resumed during the dictation', async () => {
    const a = await player();
    const paused = await pauser.pause();
    await settle();
    await a.play();
    expect(await paused.resume()).toEqual([]);
    expect(await a.status()).toBe('Playing');
  });

  it('a player that quits mid-dictation does no harm', async () => {
    const quits = await player();
    const stays = await player();
    const paused = await pauser.pause();
    await quits.stop();
    await settle();
    expect(await paused.resume()).toEqual([stays.name]);
    await expect.poll(() => stays.status()).toBe('Playing');
  });

  it('does nothing when no player is on the bus', async () => {
    const paused = await pauser.pause();
    expect(paused.players).toEqual([]);
    expect(await paused.resume()).toEqual([]);
    expect(await pauser.players()).toEqual([]);
  });
});
