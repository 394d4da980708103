import { describe, expect, it } from 'vitest';
import { unitFile } from './service.impl.js';

describe('the systemd user unit', () => {
  it('stops only the service: the clipboard tool serving the last transcript outlives the unit', () => {
    const unit = unitFile('/usr/bin/node', '/opt/whis/cli.js');
    expect(unit).toContain('ExecStart=/usr/bin/node /opt/whis/cli.js listen');
    // systemd's default (control-group) ends every process of the unit on stop, the clipboard's
    // selection server with them
    expect(unit).toMatch(/^KillMode=process$/m);
  });
});
