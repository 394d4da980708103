import { describe, expectTypeOf, it } from 'vitest';
import { createIpcServer, type IpcHandlers } from './server.js';
import { idleStatus } from './internal/test-support.js';

// Checked by `typecheck` (tsc over the test files): each `@ts-expect-error` fails the build when
// the line below it compiles, i.e. if a handler could be left out again.
const state = { state: 'idle', recordingId: null } as const;
const all: IpcHandlers = {
  status: () => idleStatus(),
  toggle: () => state,
  start: () => state,
  finish: () => state,
  cancel: () => state,
  subscribe: () => ({ subscribed: true }),
  last: () => ({ transcripts: [] }),
  retry: () => ({ id: 'a', text: '' }),
  shutdown: () => ({ recordings: [] }),
};

describe('handlers', () => {
  it('are required for every method but hello', () => {
    expectTypeOf<keyof IpcHandlers>().toEqualTypeOf<
      | 'status'
      | 'toggle'
      | 'start'
      | 'finish'
      | 'cancel'
      | 'subscribe'
      | 'last'
      | 'retry'
      | 'shutdown'
    >();
    const { shutdown: _left, ...withoutShutdown } = all;
    // @ts-expect-error a handler left out does not compile
    const missing: IpcHandlers = withoutShutdown;
    const onlyStatus = { status: () => idleStatus() };
    const options = { serverInfo: { version: '0' } };
    // @ts-expect-error nor when passed to the server directly
    const serving = () => createIpcServer('unused', onlyStatus, options);
    expectTypeOf(missing).not.toBeAny();
    expectTypeOf(serving).toBeFunction();
  });
});
