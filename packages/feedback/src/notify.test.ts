import { describe, expect, it } from 'vitest';
import {
  createCommandNotifier,
  notificationCommand,
  notificationFor,
  POWERSHELL_APP_ID,
  type Command,
  type Notification,
} from './notify.js';

const failed = {
  type: 'error',
  error: {
    code: 'transcription-failed',
    message: 'Transcription failed: 500 upstream. The recording is kept: `whis retry 2026-x`.',
    recordingId: '2026-x',
  },
} as const;

describe('notificationFor', () => {
  it.each([
    ['transcription failure', failed, 'errors', 'transcription', 'critical'],
    [
      'microphone gone',
      { type: 'error', error: { code: 'device-lost', message: 'The microphone went away.' } },
      'errors',
      'microphone',
      'critical',
    ],
    [
      'typing failed, text on the clipboard',
      {
        type: 'error',
        error: {
          code: 'type-failed',
          message: 'Typing failed: x. The text is on the clipboard; paste it yourself.',
        },
      },
      'errors',
      'output',
      'normal',
    ],
    [
      'hotkey not bound',
      { type: 'hotkey-unavailable', reason: 'No X display.' },
      'errors',
      'hotkey',
      'normal',
    ],
    [
      'transcript with all',
      { type: 'transcript', recordingId: 'r', text: 'hello' },
      'all',
      'transcript',
      'low',
    ],
  ] as const)('%s', (_name, event, level, kind, urgency) => {
    expect(notificationFor(event, level)).toMatchObject({ kind, urgency });
  });

  it('keeps the retry hint in the body of a failed transcription', () => {
    const n = notificationFor(failed, 'errors')!;
    expect(n.title).toBe('Transcription failed');
    expect(n.body).toContain('`whis retry 2026-x`');
  });

  it('an output that failed is an output problem, whatever its code: never "Transcription failed"', () => {
    const n = notificationFor(
      {
        type: 'error',
        error: {
          domain: 'output',
          code: 'write-failed',
          message: 'Could not deliver the transcript: Cannot append to /x: EACCES',
        },
      },
      'errors',
    )!;
    expect(n).toMatchObject({ kind: 'output', title: 'Text not delivered', urgency: 'normal' });
    // the same code from the microphone is a microphone problem
    expect(
      notificationFor(
        { type: 'error', error: { domain: 'audio', code: 'write-failed', message: 'x' } },
        'errors',
      ),
    ).toMatchObject({ kind: 'microphone' });
  });

  it('names the clipboard when typing failed', () => {
    const n = notificationFor(
      {
        type: 'error',
        error: { code: 'type-failed', message: 'Typing failed. The text is on the clipboard.' },
      },
      'errors',
    )!;
    expect(n.title).toMatch(/clipboard/);
  });

  it('says which of the two an edit by voice did, and that a failed one left the selection alone', () => {
    const edit = (outcome: 'replaced' | 'written') =>
      notificationFor(
        { type: 'transcript', recordingId: 'r', text: 'Dear Ms Smith,', edit: { outcome } },
        'all',
      );
    expect(edit('replaced')).toMatchObject({ title: 'Replaced the selection' });
    expect(edit('written')?.title).toMatch(/written at the cursor/);
    for (const error of [
      {
        domain: 'edit',
        code: 'model-unreachable',
        message: 'The chat model could not be reached.',
      },
      { domain: 'output', code: 'selection-too-large', message: 'The selection is too large.' },
    ])
      expect(notificationFor({ type: 'error', error }, 'errors')).toMatchObject({
        kind: 'edit',
        title: 'Selection not changed',
        body: error.message,
      });
  });

  it.each([
    ['a transcript at errors', { type: 'transcript', recordingId: 'r', text: 'hi' }, 'errors'],
    ['an empty transcript at all', { type: 'transcript', recordingId: 'r', text: ' ' }, 'all'],
    ['no speech', { type: 'error', error: { code: 'no-speech', message: 'x' } }, 'all'],
    ['a cancel', { type: 'error', error: { code: 'cancelled', message: 'x' } }, 'all'],
    ['anything at off', failed, 'off'],
  ] as const)('shows nothing for %s', (_name, event, level) => {
    expect(notificationFor(event, level)).toBeUndefined();
  });
});

const tricky: Notification = {
  kind: 'transcription',
  title: 'He said "hi"',
  body: `It's \\ done: "quoted" and 'single'`,
  urgency: 'critical',
};

describe('notificationCommand', () => {
  it('runs osascript with the text escaped as AppleScript strings on macOS', () => {
    const command = notificationCommand('darwin', tricky)!;
    expect(command.command).toBe('osascript');
    expect(command.args).toEqual([
      '-e',
      `display notification "It's \\\\ done: \\"quoted\\" and 'single'" with title "whis" subtitle "He said \\"hi\\""`,
    ]);
  });

  it('runs a PowerShell toast tagged with the kind on Windows, quotes doubled', () => {
    const command = notificationCommand('win32', tricky)!;
    expect(command.command).toBe('powershell.exe');
    expect(command.args.slice(0, 5)).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-Command',
    ]);
    const script = command.args[5]!;
    expect(script).toContain(`CreateTextNode('He said "hi"')`);
    expect(script).toContain(`CreateTextNode('It''s \\ done: "quoted" and ''single''')`);
    expect(script).toContain(`$toast.Tag = 'transcription'`);
    expect(script).toContain(`CreateToastNotifier('${POWERSHELL_APP_ID}')`);
  });

  it('has no command on Linux (the D-Bus service is used)', () => {
    expect(notificationCommand('linux', tricky)).toBeUndefined();
  });

  it('the command notifier runs the command for its platform', async () => {
    const ran: Command[] = [];
    const notifier = createCommandNotifier('darwin', async (c) => void ran.push(c));
    await notifier.show(tricky);
    expect(ran).toEqual([notificationCommand('darwin', tricky)]);
  });
});
