import { join } from 'node:path';
import {
  startRemoteDesktopPortal,
  startSessionBus,
  type RemoteDesktopPortal,
  type SessionBus,
} from '@whis/testkit';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { RemoteDesktop, RemoteDesktopError } from './remote-desktop.js';

let bus: SessionBus;
let portal: RemoteDesktopPortal;
beforeEach(async () => {
  bus = await startSessionBus();
  portal = await startRemoteDesktopPortal(bus.address);
});
afterEach(async () => {
  await portal.stop();
  await bus.stop();
});

it('close() while Start waits for its dialog ends the start at once and closes the session it made', async () => {
  // nobody answers the dialog: without an abort the start would wait its 5 minutes
  portal.dialogResponse = 'never';
  const desktop = new RemoteDesktop({
    env: bus.env,
    tokenFile: join(bus.env.HOME!, '.local', 'state', 'whis', 'remote-desktop.token'),
    settleMs: 0,
  });
  const typing = desktop.run(() => desktop.type('x')).catch((e: unknown) => e);
  await expect.poll(() => portal.calls.map((c) => c.member)).toContain('Start');
  await desktop.close();
  const error = await typing;
  expect(error).toBeInstanceOf(RemoteDesktopError);
  expect(error).toMatchObject({ code: 'closed' });
  expect(portal.calls.map((c) => c.member)).toContain('Close');
  expect(desktop.handle).toBeUndefined();
  expect(portal.keys).toEqual([]);
}, 20_000);
