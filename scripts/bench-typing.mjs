// Typing through the desktop's RemoteDesktop portal (a headless KDE Plasma 5.27 with a focused GTK
// text view) vs xdotool under Xvfb (xterm in raw mode), per character; and what a portal session
// costs: the first dictation after the service starts (the session opens) vs the next ones, and a
// session per dictation (open, type, close) vs one for the service's life.
// Usage: node scripts/bench-typing.mjs  (after npm run build); npm run bench runs it as section 9.
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { closeRemoteDesktops, createTypeOutput } from '@whis/output';
import { openXterm, startKdeSession, startXvfb } from '@whis/testkit';

const words = 'one two three four five';
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const SENTENCE = 'The quick brown fox jumps over the lazy dog, while whis types this out. ';
const text = (n) =>
  SENTENCE.repeat(Math.ceil(n / SENTENCE.length))
    .slice(0, n)
    .trimEnd() + '.';

export async function benchPortalTyping({ runs = 5, characters = 200 } = {}) {
  const sample = text(characters);
  // xdotool under Xvfb
  const x = await startXvfb();
  const xdotool = [];
  try {
    for (let i = 0; i < runs; i++) {
      const term = await openXterm(x, { raw: true });
      try {
        const t0 = performance.now();
        await createTypeOutput({ env: x.env }).deliver(sample);
        while (!(await term.read()).includes(sample)) await sleep(2);
        xdotool.push((performance.now() - t0) / sample.length);
      } finally {
        await term.stop();
      }
    }
  } finally {
    await x.stop();
  }

  // the portal on KDE
  const kde = await startKdeSession({ layouts: ['us'] });
  const portal = [];
  const first = [];
  const warm = [];
  const perDictation = [];
  try {
    const into = async (words, before) => {
      const window = await kde.openTextWindow();
      try {
        await before?.();
        const t0 = performance.now();
        await createTypeOutput({ env: kde.env }).deliver(words);
        await window.waitForText((t) => t === words, 60_000);
        return performance.now() - t0;
      } finally {
        await window.close();
      }
    };
    for (let i = 0; i < runs; i++) {
      // a new service: the session opens with its first dictation
      await closeRemoteDesktops();
      first.push(await into(words));
      warm.push(await into(words));
      portal.push((await into(sample)) / sample.length);
      // a session per dictation: opened for it, closed after it
      perDictation.push(
        await into(words, async () => {
          await closeRemoteDesktops();
        }),
      );
      await closeRemoteDesktops();
    }
  } finally {
    await closeRemoteDesktops();
    await kde.stop();
  }
  const ms = (v) => `${v.toFixed(1)} ms`;
  console.log(
    `9. typing per character: desktop portal (KDE 5.27, GTK window) ${ms(median(portal))} vs xdotool (Xvfb, xterm) ${ms(median(xdotool))} → portal ${(median(portal) / median(xdotool)).toFixed(2)}× (${characters} characters, median of ${runs})`,
  );
  console.log(
    `   "${words}" into the window: first dictation after start (the session opens) ${ms(median(first))}, the next ones ${ms(median(warm))} → the session costs ${ms(median(first) - median(warm))} once; a session per dictation ${ms(median(perDictation))} every time (${(median(perDictation) / median(warm)).toFixed(2)}× the kept session)`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await benchPortalTyping();
