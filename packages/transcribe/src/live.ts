import type { LiveSession, LiveSessionOptions } from '@whis/contracts';
import type { RealtimeOptions } from './realtime.js';

/**
 * A Realtime session for one recording. The client (and `ws`) load with the first session, so a
 * program that never goes live never loads them.
 */
export async function openRealtimeSession(
  options: RealtimeOptions,
  events?: LiveSessionOptions,
): Promise<LiveSession> {
  const { RealtimeSession } = await import('./realtime.js');
  return new RealtimeSession(options, events);
}
