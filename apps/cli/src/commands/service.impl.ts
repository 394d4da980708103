import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../errors.js';
import type { ServiceArgs } from './service.js';

function unitPath(): string {
  const config = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(config, 'systemd', 'user', 'whis.service');
}

/** The unit: `whis listen` in the foreground, restarted if it fails, logs in the journal and the log file. */
export function unitFile(
  node = process.execPath,
  cli = process.argv[1] ?? fileURLToPath(import.meta.url),
): string {
  return `[Unit]
Description=whis voice to text (hotkey listener)
Documentation=https://github.com/whis-dev/whis
After=graphical-session.target
PartOf=graphical-session.target

[Service]
Type=simple
ExecStart=${node} ${cli} listen
Restart=on-failure
RestartSec=2
# Stop ends the service only: the clipboard tool serving the last transcript stays until the next
# copy replaces it (the hotkey listener ends with the service by itself).
KillMode=process

[Install]
WantedBy=graphical-session.target default.target
`;
}

function systemctl(args: string[]): boolean {
  const result = spawnSync('systemctl', ['--user', ...args], { stdio: 'inherit' });
  return result.status === 0;
}

export async function runService(args: ServiceArgs): Promise<number> {
  const path = unitPath();
  if (args.action === 'print') {
    process.stdout.write(unitFile());
    return ExitCode.Ok;
  }
  if (args.action === 'install') {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, unitFile());
    process.stdout.write(`Wrote ${path}.\n`);
    const steps = [
      'systemctl --user import-environment DISPLAY XAUTHORITY WAYLAND_DISPLAY',
      'systemctl --user daemon-reload',
      'systemctl --user enable --now whis.service',
    ];
    if (
      args.enable &&
      systemctl(['daemon-reload']) &&
      systemctl(['enable', '--now', 'whis.service'])
    ) {
      process.stdout.write('Enabled and started whis.service. Check it with `whis status`.\n');
      return ExitCode.Ok;
    }
    process.stdout.write(`To start it, run:\n  ${steps.join('\n  ')}\n`);
    return ExitCode.Ok;
  }
  if (args.enable !== false) systemctl(['disable', '--now', 'whis.service']);
  await rm(path, { force: true });
  process.stdout.write(`Removed ${path}.\n`);
  return ExitCode.Ok;
}
