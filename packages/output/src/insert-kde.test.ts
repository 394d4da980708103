import { run, startKdeSession, type KdeSession, type TextWindow } from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readClipboard } from './clipboard.js';
import { createPasteOutput, createTypeOutput, describeInsertion } from './insert.js';
import { remoteDesktopFor } from './internal/remote-desktop.js';
import { closeRemoteDesktops } from './remote-desktop.js';

// A real KDE Plasma 5.27 stack (KWin, xdg-desktop-portal-kde, the frontend) with a focused GTK
// text view: the text goes through the RemoteDesktop portal, no /dev/uinput, no input group.
function kdeSuite(layout: 'us' | 'fr', cases: (ctx: Ctx) => void) {
  describe(`on a headless KDE Plasma 5.27 session (${layout} layout), through the RemoteDesktop portal`, () => {
    const ctx = { notices: [] } as unknown as Ctx;
    beforeAll(async () => {
      ctx.kde = await startKdeSession({ layouts: [layout] });
    }, 90_000);
    afterAll(async () => {
      await closeRemoteDesktops();
      await ctx.kde?.stop();
    });
    afterEach(async () => {
      await ctx.window?.close();
      ctx.window = undefined;
      ctx.notices.length = 0;
    });
    ctx.options = () => ({
      env: ctx.kde.env,
      restoreDelayMs: 200,
      onNotice: (m: string, d?: object) => ctx.notices.push([m, d]),
    });
    ctx.open = async () => (ctx.window = await ctx.kde.openTextWindow());
    cases(ctx);
  });
}

interface Ctx {
  kde: KdeSession;
  window: TextWindow | undefined;
  notices: Array<[string, object | undefined]>;
  options(): {
    env: NodeJS.ProcessEnv;
    restoreDelayMs: number;
    onNotice: (m: string, d?: object) => void;
  };
  open(): Promise<TextWindow>;
}

kdeSuite('fr', (ctx) => {
  it('the first dictation after start types "wayland", not "zqyland"; café arrives', async () => {
    expect(describeInsertion({ env: ctx.kde.env })).toMatchObject({ tool: 'portal' });
    const window = await ctx.open();
    const type = createTypeOutput(ctx.options());
    await type.deliver('wayland');
    expect(await window.waitForText((t) => t.length >= 7)).toBe('wayland');
    await type.deliver(' café');
    expect(await window.waitForText((t) => t.length >= 12)).toBe('wayland café');
    await type.settled();
  }, 60_000);
});

kdeSuite('us', (ctx) => {
  it('the portal is chosen on KDE Wayland, types a dictation, and status says what the desktop answered', async () => {
    expect(describeInsertion({ env: ctx.kde.env })).toMatchObject({ tool: 'portal' });
    const window = await ctx.open();
    await createTypeOutput(ctx.options()).deliver('hello from whis on wayland');
    expect(await window.waitForText((t) => t.length >= 26)).toBe('hello from whis on wayland');
    expect(ctx.notices.map(([m]) => m)).toEqual(['desktop portal session started', 'typing']);
    expect(describeInsertion({ env: ctx.kde.env }).why).toMatch(
      /the desktop answered: session started \(RemoteDesktop version \d+, keyboard/,
    );
  }, 60_000);

  it('500 random characters arrive complete and in order', async () => {
    const window = await ctx.open();
    const alphabet =
      'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?\'"-_()[]{}@#$%&*+=/<>|~^`\\';
    let text = 'x';
    while (text.length < 499) text += alphabet[Math.floor(Math.random() * alphabet.length)];
    text += 'y';
    await createTypeOutput(ctx.options()).deliver(text);
    expect(await window.waitForText((t) => t.length >= text.length)).toBe(text);
    expect(ctx.notices.find(([m]) => m === 'typing')?.[1]).toMatchObject({ characters: 500 });
  }, 90_000);

  it('café is not on the US layout: it is pasted (the clipboard, then the chord through the same session)', async () => {
    const window = await ctx.open();
    await createTypeOutput(ctx.options()).deliver('un café');
    expect(await window.waitForText((t) => t.length >= 7)).toBe('un café');
    expect(ctx.notices.map(([m]) => m)).toEqual([
      'the portal types only what is on the "us" keyboard layout: the text is pasted instead',
      'pasting',
    ]);
    expect(ctx.notices[1]![1]).toMatchObject({ tool: 'portal', chord: 'ctrl+v' });
    // offered as UTF-8 text, which GTK takes
    expect((await run('wl-paste', ['--list-types'], { env: ctx.kde.env })).stdout).toContain(
      'text/plain;charset=utf-8',
    );
  }, 60_000);

  it('the paste output presses the chord through the portal, and gives the clipboard back', async () => {
    const window = await ctx.open();
    await run('sh', ['-c', "wl-copy 'what I had' >/dev/null 2>&1"], { env: ctx.kde.env });
    const paste = createPasteOutput(ctx.options());
    await paste.deliver('pasted on KDE');
    expect(await window.waitForText((t) => t.length >= 13)).toBe('pasted on KDE');
    await paste.settled();
    expect((await readClipboard({ env: ctx.kde.env }))?.data.toString()).toBe('what I had');
  }, 60_000);

  it('a session the desktop ends: the next dictation is on the clipboard with the reason; the one after types again', async () => {
    const window = await ctx.open();
    const type = createTypeOutput(ctx.options());
    await type.deliver('one');
    await window.waitForText((t) => t === 'one');
    const desktop = remoteDesktopFor({ env: ctx.kde.env });
    // what the tray icon's "end session" does
    expect(await ctx.kde.endPortalSessions()).toBe(1);
    await expect.poll(() => desktop.handle).toBeUndefined();
    await expect(type.deliver('two')).rejects.toMatchObject({
      code: 'type-failed',
      message: expect.stringMatching(
        /ended whis's remote-control session.*The text is on the clipboard; paste it yourself\.$/,
      ),
    });
    expect((await readClipboard({ env: ctx.kde.env }))?.data.toString()).toBe('two');
    expect(describeInsertion({ env: ctx.kde.env }).desktop?.problem).toMatch(/ended whis's/);
    await type.deliver(' three');
    expect(await window.waitForText((t) => t.length >= 9)).toBe('one three');
  }, 60_000);

  it('the portal restarting: the next dictation opens a new session and types', async () => {
    const window = await ctx.open();
    const type = createTypeOutput(ctx.options());
    await type.deliver('before');
    await window.waitForText((t) => t === 'before');
    await ctx.kde.frontend.restart();
    await expect.poll(() => remoteDesktopFor({ env: ctx.kde.env }).handle).toBeUndefined();
    await type.deliver(' after');
    expect(await window.waitForText((t) => t.length >= 12)).toBe('before after');
  }, 60_000);
});
