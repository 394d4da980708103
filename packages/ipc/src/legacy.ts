import type { RequestContext, IpcHandlers } from './server.js';
import { STATE_LABELS } from './protocol.js';

/** The original whis's wire format: a JSON string naming the request, one JSON value back. */
export const LEGACY_REQUESTS = ['Status', 'Stop', 'Toggle'] as const;
export type LegacyRequest = (typeof LEGACY_REQUESTS)[number];

export function isLegacyRequest(value: unknown): value is LegacyRequest {
  return typeof value === 'string' && (LEGACY_REQUESTS as readonly string[]).includes(value);
}

/**
 * Answers a legacy request through the same handlers as JSON-RPC: `"Idle"`, `"Recording"`,
 * `"Transcribing"`, `"Success"` or `{"Error": "…"}`. An adapter at the edge of the connection.
 */
export async function answerLegacy(
  request: LegacyRequest,
  handlers: IpcHandlers,
  ctx: RequestContext,
): Promise<unknown> {
  try {
    if (request === 'Status') {
      if (!handlers.status) throw new Error('status is not supported');
      return STATE_LABELS[(await handlers.status(undefined, ctx)).state];
    }
    const handler = request === 'Stop' ? handlers.shutdown : handlers.toggle;
    if (!handler) throw new Error(`${request.toLowerCase()} is not supported`);
    await handler(undefined, ctx);
    return 'Success';
  } catch (err) {
    return { Error: (err as Error)?.message ?? String(err) };
  }
}
