import type { ErrorInfo, ServiceEvent } from '@whis/ipc';
import type { Clock, Logger, Output } from '../ports.js';
import type { ErrorId } from './error-codes.js';
import { segmentDelivery } from './segment-output.js';

/**
 * The service's events and its last error: every part announces through here; subscribers (the
 * socket's `subscribe`) and the segment output hear them. A listener that throws is logged, never
 * felt by the part that announced.
 */
export class ServiceEvents {
  lastError: ErrorInfo | null = null;
  private readonly listeners = new Set<(event: ServiceEvent) => void>();
  private readonly deliverSegment: ((event: ServiceEvent) => void) | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    segmentOutput?: Output,
    /** Recordings whose segments are shown but not delivered (an edit's instruction). */
    private readonly keepSegments: (recordingId: string) => boolean = () => false,
  ) {
    this.deliverSegment = segmentOutput
      ? segmentDelivery(segmentOutput, logger, (error, message, id) =>
          this.reportError(error, message, id),
        )
      : undefined;
  }

  readonly emit = (event: ServiceEvent): void => {
    if (!('recordingId' in event) || !this.keepSegments(event.recordingId ?? ''))
      this.deliverSegment?.(event);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.warn({ err }, 'event listener failed');
      }
    }
  };

  /** Logs an error, keeps it as the last one (for `status`) and announces it. */
  readonly reportError = (
    { domain, code }: ErrorId,
    message: string,
    recordingId?: string,
  ): ErrorInfo => {
    this.lastError = {
      domain,
      code,
      message,
      at: new Date(this.clock.now()).toISOString(),
      ...(recordingId ? { recordingId } : {}),
    };
    this.logger.warn({ domain, code, recordingId }, message);
    this.emit({ type: 'error', error: this.lastError });
    return this.lastError;
  };

  /** Events until the returned disposer is called. */
  subscribe(listener: (event: ServiceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops every subscriber (the service has stopped). */
  clear(): void {
    this.listeners.clear();
  }
}
