import {
  startSessionBus,
  startPortalFrontend,
  startShortcutsBackend,
  startVirtualMicrophone,
  type SessionBus,
  type PortalFrontend,
  type ShortcutsBackend,
  type VirtualMicrophone,
} from '@whis/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, watchOutput, type Sandbox } from './internal/harness.js';

// The real xdg-desktop-portal frontend on a private bus, with the test kit's spec-following
// GlobalShortcuts backend (as GNOME 48+ binds), and what whis listen, status, doctor and setup say.
let bus: SessionBus;
let backend: ShortcutsBackend;
let frontend: PortalFrontend | undefined;
let sandbox: Sandbox | undefined;
let env: NodeJS.ProcessEnv;
let mic: VirtualMicrophone;

beforeAll(async () => {
  mic = await startVirtualMicrophone();
}, 60_000);
afterAll(async () => {
  await mic?.stop();
});
beforeEach(async () => {
  bus = await startSessionBus();
  backend = await startShortcutsBackend(bus, { desktop: 'GNOME' });
  env = {
    ...bus.env,
    XDG_DESKTOP_PORTAL_DIR: backend.portalDir,
    XDG_CURRENT_DESKTOP: backend.desktop,
    XDG_SESSION_TYPE: 'wayland',
    WAYLAND_DISPLAY: 'wayland-test',
    PULSE_SERVER: mic.env.PULSE_SERVER,
    OPENAI_API_KEY: 'sk-test',
  };
  delete env.DISPLAY;
});
afterEach(async () => {
  if (sandbox) {
    await sandbox.whis(['stop'], { timeoutMs: 60_000 }).catch(() => undefined);
    await sandbox.cleanup();
  }
  sandbox = undefined;
  await frontend?.stop();
  frontend = undefined;
  await backend.stop();
  await bus.stop();
});

describe('the portal hotkey as whis reports it', () => {
  it('bound in BindShortcuts: status names the portal and the key; stop closes the session', async () => {
    frontend = await startPortalFrontend(bus, env);
    sandbox = await createSandbox(env);
    const { output } = await sandbox.listen();
    expect(output.text()).toMatch(/Listening for hotkey: ctrl\+shift\+r/);
    await expect
      .poll(() => sandbox!.status().catch(() => ({})), { timeout: 20_000 })
      .toMatchObject({
        hotkeyActive: true,
        hotkeyBackend: 'portal',
        hotkeyBinding: 'Ctrl+Shift+R',
      });
    expect(backend.calls.map((c) => c.member)).toEqual([
      'CreateSession',
      'ListShortcuts',
      'BindShortcuts',
    ]);
    backend.press('dictate');
    await expect.poll(() => sandbox!.status().then((st) => st.state)).toBe('recording');
    backend.release('dictate');
    await sandbox.whis(['cancel']);
    expect((await sandbox.whis(['stop'], { timeoutMs: 60_000 })).code).toBe(0);
    expect(backend.calls.at(-1)?.member).toBe('Close');
  }, 60_000);

  it('a declined binding: listen, status and the hotkey problem say so once, with what to do', async () => {
    frontend = await startPortalFrontend(bus, env);
    backend.bindResponse = 1;
    sandbox = await createSandbox(env);
    const output = watchOutput(sandbox.spawnWhis(['listen']));
    await output.waitFor(/Hotkey unavailable: The desktop did not grant the shortcut/);
    const st = await sandbox.status();
    expect(st.hotkeyActive).toBe(false);
    expect(String(st.hotkeyProblem)).toMatch(/declined or its dialog closed/);
    expect((await sandbox.whis(['status'])).stdout).toMatch(
      /Hotkey: off \(The desktop did not grant the shortcut/,
    );
    // `whis toggle` still works
    expect((await sandbox.whis(['toggle'])).code).toBe(0);
    await sandbox.whis(['cancel']);
    expect(output.text().match(/Hotkey unavailable/g)).toHaveLength(1);
  }, 60_000);

  it('no portal: doctor says so with the fix for GNOME; --hotkey-backend none listens for no key', async () => {
    sandbox = await createSandbox(env);
    const doctor = JSON.parse(
      (await sandbox.whis(['doctor', '--json'], { timeoutMs: 60_000 })).stdout,
    ) as { checks: Array<{ name: string; ok: boolean; detail: string; fix?: string }> };
    expect(doctor.checks.find((c) => c.name === 'Hotkey')).toMatchObject({
      ok: false,
      detail: 'desktop portal: unavailable',
      fix: expect.stringMatching(/No desktop portal.*GNOME has it from version 48/),
    });
    const output = watchOutput(sandbox.spawnWhis(['listen', '--hotkey-backend', 'none']));
    await output.waitFor(/Listening \(no hotkey/);
    expect(await sandbox.status()).toMatchObject({ hotkey: null, hotkeyProblem: null });
    expect((await sandbox.whis(['status'])).stdout).toContain('Hotkey: none');
  }, 60_000);

  it('setup names the portal backend', async () => {
    frontend = await startPortalFrontend(bus, env);
    sandbox = await createSandbox(env);
    const result = await sandbox.whis(
      [
        'setup',
        '--yes',
        '--no-test',
        '--api-key',
        'sk-test',
        '--hotkey',
        'ctrl+shift+r',
        '--output',
        'clipboard',
      ],
      { timeoutMs: 60_000 },
    );
    expect(result.stdout).toMatch(/Hotkey backend: desktop portal \(GlobalShortcuts version 1\)/);
  }, 60_000);
});
