import { stat, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  startRemoteDesktopPortal,
  startSessionBus,
  type RemoteDesktopPortal,
  type SessionBus,
} from '@whis/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RemoteDesktop, RemoteDesktopError } from './internal/remote-desktop.js';
import { closeRemoteDesktops, probeRemoteDesktop } from './remote-desktop.js';

// A RemoteDesktop portal of version 2 on a private bus (the Debian stack's frontend is 1.16, which
// has version 1 and no restore tokens): the permission remembered, a refused token, a declined dialog.
describe('the RemoteDesktop session: remembered permission and refusals', () => {
  let bus: SessionBus;
  let portal: RemoteDesktopPortal;
  let tokenFile: string;
  const desktops: RemoteDesktop[] = [];
  const open = () => {
    const desktop = new RemoteDesktop({ env: bus.env, tokenFile, settleMs: 0 });
    desktops.push(desktop);
    return desktop;
  };
  const starts = () =>
    portal.calls.filter((c) => c.member === 'SelectDevices').map((c) => c.options.restore_token);

  beforeEach(async () => {
    bus = await startSessionBus();
    portal = await startRemoteDesktopPortal(bus.address);
    tokenFile = join(bus.env.HOME!, '.local', 'state', 'whis', 'remote-desktop.token');
  });
  afterEach(async () => {
    for (const d of desktops.splice(0)) await d.close();
    await closeRemoteDesktops();
    await portal.stop();
    await bus.stop();
  });

  it('asks once with persist_mode 2, keeps the token 0600, and the next start needs no dialog', async () => {
    const first = open();
    await first.run(() => first.type('Hi'));
    expect(portal.calls.find((c) => c.member === 'SelectDevices')?.options).toMatchObject({
      types: 1,
      persist_mode: 2,
    });
    // a modifier first (the layout), then press and release per character
    expect(portal.keys).toEqual([
      [0xffe1, true],
      [0xffe1, false],
      [0x48, true],
      [0x48, false],
      [0x69, true],
      [0x69, false],
    ]);
    expect(await readFile(tokenFile, 'utf8')).toBe('token-1');
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect(first.state.answer).toBe(
      'session started (RemoteDesktop version 2, keyboard; permission remembered)',
    );
    await first.close();

    const second = open();
    await second.run(() => second.type('x'));
    expect(starts()).toEqual([undefined, 'token-1']);
    expect(portal.dialogs).toBe(1);
    expect(await readFile(tokenFile, 'utf8')).toBe('token-2');
  });

  it('a refused token (a new login): asked again once, and the new token kept', async () => {
    await mkdir(join(tokenFile, '..'), { recursive: true });
    await writeFile(tokenFile, 'token-from-last-login', { mode: 0o600 });
    const desktop = open();
    await desktop.run(() => desktop.type('x'));
    expect(starts()).toEqual(['token-from-last-login', undefined]);
    expect(portal.dialogs).toBe(1);
    expect(await readFile(tokenFile, 'utf8')).toBe('token-1');
  });

  it('a declined dialog: a refusal that says what to do; asked again on the next try', async () => {
    portal.dialogResponse = 1;
    const desktop = open();
    const error = await desktop.run(() => desktop.type('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteDesktopError);
    expect(error).toMatchObject({
      domain: 'output',
      code: 'refused',
      id: 'output/refused',
      problem: 'refused',
      unavailable: false,
      message: expect.stringMatching(
        /did not allow whis to type \(declined\).*next dictation asks again/,
      ),
    });
    expect(desktop.state.problem).toMatch(/did not allow whis to type/);
    expect(portal.keys).toEqual([]);
    portal.dialogResponse = 0;
    await desktop.run(() => desktop.type('x'));
    expect(portal.dialogs).toBe(2);
    expect(desktop.state.problem).toBeUndefined();
  });

  it('a Start nobody answers: the session is closed, not kept for the next dictation', async () => {
    portal.dialogResponse = 'never';
    const desktop = new RemoteDesktop({
      env: bus.env,
      tokenFile,
      settleMs: 0,
      dialogTimeoutMs: 300,
    });
    desktops.push(desktop);
    const error = await desktop.run(() => desktop.type('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteDesktopError);
    expect(desktop.handle).toBeUndefined();
    await expect.poll(() => portal.calls.map((c) => c.member)).toContain('Close');
    // the next dictation asks again, in a new session
    portal.dialogResponse = 0;
    await desktop.run(() => desktop.type('x'));
    expect(portal.calls.filter((c) => c.member === 'CreateSession')).toHaveLength(2);
    expect(portal.keys.length).toBeGreaterThan(0);
  });

  it('SelectDevices failing: the session just created is closed', async () => {
    portal.selectDevicesError = 'org.freedesktop.DBus.Error.AccessDenied';
    const desktop = open();
    const error = await desktop.run(() => desktop.type('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteDesktopError);
    await expect.poll(() => portal.calls.map((c) => c.member)).toContain('Close');
  });

  it('doctor asks what the portal offers without opening a session', async () => {
    expect(await probeRemoteDesktop(bus.env)).toMatchObject({
      ok: true,
      version: 2,
      keyboard: true,
      detail: 'RemoteDesktop version 2, keyboard offered, asks once and remembers',
    });
    expect(portal.calls).toEqual([]);
  });

  it('no portal on the bus: unavailable, so another keyboard may type', async () => {
    await portal.stop();
    const desktop = open();
    const error = await desktop.run(() => desktop.ensure()).catch((e: unknown) => e);
    expect(error).toMatchObject({ problem: 'no-portal', unavailable: true });
    expect(desktop.state).toMatchObject({ unavailable: true });
  });
});
