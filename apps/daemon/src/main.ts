#!/usr/bin/env node
// whisd — the whis service in the background (`whis listen --detach`, the systemd unit). A
// foreground `whis listen` runs the same `runService` in its own process.
import { runService } from '@whis/service';

process.exitCode = await runService(process.argv.slice(2));
