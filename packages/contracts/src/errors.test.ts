import { describe, expect, it } from 'vitest';
import { ExitCode } from './exit-codes.js';
import { diskFullMessage, exitCodeFor, isWhisError, WhisError } from './errors.js';

class PartError<D extends string> extends WhisError<D, string> {
  constructor(domain: D, code: string, options: { cause?: unknown } = {}) {
    super('PartError', domain, code, `${domain} failed (${code})`, options);
  }
}

describe('WhisError and the one exit-code table', () => {
  it('an error is known by domain and code: the same code in two parts is two errors', () => {
    expect(new PartError('ipc', 'unresponsive').id).toBe('ipc/unresponsive');
    expect(exitCodeFor(new PartError('ipc', 'unresponsive'))).toBe(ExitCode.Unresponsive);
    // a code of the same name elsewhere is not a service that does not answer
    expect(exitCodeFor(new PartError('audio', 'unresponsive'))).toBe(ExitCode.Failure);
    expect(exitCodeFor(new PartError('journal', 'journal-locked'))).toBe(ExitCode.AlreadyRunning);
    expect(exitCodeFor(new PartError('config', 'invalid-value'))).toBe(ExitCode.Usage);
    expect(exitCodeFor(new PartError('ipc', 'not-running'))).toBe(ExitCode.NotRunning);
  });

  it('errno and SDK errors, which carry bare codes, are failures, never mistaken for whis codes', () => {
    const errno = Object.assign(new Error('connect ENOENT'), { code: 'not-running' });
    expect(isWhisError(errno)).toBe(false);
    expect(exitCodeFor(errno)).toBe(ExitCode.Failure);
    expect(exitCodeFor('a string')).toBe(ExitCode.Failure);
  });

  it('keeps the cause', () => {
    const cause = new Error('EACCES');
    expect(new PartError('config', 'write-failed', { cause }).cause).toBe(cause);
  });

  it('one wording for a full disk', () => {
    expect(diskFullMessage('save the settings')).toBe(
      'No space left to save the settings. Free some disk space; what was saved before is unchanged.',
    );
  });
});
