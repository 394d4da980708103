import type { Logger, Trigger, TriggerEvent } from '../ports.js';

/** A press (or release) of a trigger: what the service acts on. */
export type Press = Exclude<TriggerEvent, { type: 'unavailable' | 'available' }>;

/** Whether a hotkey (or other trigger) can be used right now, and why not. */
export class TriggerAvailability {
  problem: string | null = null;
  active = false;
  /** The key the desktop bound, when the trigger said (the portal). */
  binding: string | undefined;

  constructor(
    private readonly triggers: readonly Trigger[],
    private readonly logger: Logger,
  ) {}

  /** Starts every trigger; `onPress` gets their toggle/start/finish/cancel events. */
  start(onPress: (event: Press) => void): void {
    for (const trigger of this.triggers) {
      trigger.onEvent((event) => {
        if (event.type === 'unavailable') {
          this.problem = event.reason;
          this.active = false;
          this.binding = undefined;
          this.logger.warn(
            { trigger: trigger.description, reason: event.reason },
            'trigger unavailable',
          );
        } else if (event.type === 'available') {
          this.problem = null;
          this.active = true;
          this.binding = event.binding;
        } else {
          onPress(event);
        }
      });
      trigger.start().catch((err: unknown) => {
        this.problem = (err as Error).message;
        this.logger.warn({ err }, 'trigger failed to start');
      });
    }
  }

  async stop(): Promise<void> {
    for (const trigger of this.triggers) await trigger.stop().catch(() => undefined);
  }
}
