import { isPlainObject } from './messages.js';
import type { MethodName } from './protocol.js';

/** What a params check answers: the params normalised, or why they are refused (for -32602). */
export type ParamsCheck = { ok: true; params: unknown } | { ok: false; message: string };

export interface MethodSpec {
  /** Checks and normalises the params; `fail` words the refusal. */
  params(params: unknown, fail: (why: string) => ParamsCheck): ParamsCheck;
  /** The connection stays open for events once the method answers (`subscribe`). */
  subscription?: true;
}

const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

function isEmpty(params: unknown): boolean {
  return (
    params === undefined ||
    params === null ||
    (Array.isArray(params) && params.length === 0) ||
    (isPlainObject(params) && Object.keys(params).length === 0)
  );
}

function onlyKeys(params: Record<string, unknown>, keys: string[]): string | undefined {
  const extra = Object.keys(params).filter((k) => !keys.includes(k));
  return extra.length > 0 ? `unknown parameter "${extra[0]}"` : undefined;
}

const none: MethodSpec['params'] = (params, fail) =>
  isEmpty(params) ? { ok: true, params: undefined } : fail('this method takes no parameters');

const hello: MethodSpec['params'] = (params, fail) => {
  if (!isPlainObject(params)) return fail('expected {"protocolVersion": <integer>}');
  const bad = onlyKeys(params, ['protocolVersion', 'client']);
  if (bad) return fail(bad);
  if (!Number.isInteger(params.protocolVersion) || (params.protocolVersion as number) < 0) {
    return fail('"protocolVersion" must be a non-negative integer');
  }
  if (
    params.client !== undefined &&
    (typeof params.client !== 'string' || params.client.length > 200)
  ) {
    return fail('"client" must be a string of at most 200 characters');
  }
  return { ok: true, params };
};

const last: MethodSpec['params'] = (params, fail) => {
  if (isEmpty(params)) return { ok: true, params: {} };
  if (!isPlainObject(params)) return fail('expected {"limit": <1..1000>}');
  const bad = onlyKeys(params, ['limit']);
  if (bad) return fail(bad);
  const limit = params.limit;
  if (
    limit !== undefined &&
    (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 1000)
  ) {
    return fail('"limit" must be an integer from 1 to 1000');
  }
  return { ok: true, params };
};

const action: MethodSpec['params'] = (params, fail) => {
  if (isEmpty(params)) return { ok: true, params: undefined };
  if (!isPlainObject(params)) return fail('expected {"action": "dictate" | "edit"}');
  const bad = onlyKeys(params, ['action']);
  if (bad) return fail(bad);
  if (params.action !== undefined && params.action !== 'dictate' && params.action !== 'edit')
    return fail('"action" must be "dictate" or "edit"');
  return { ok: true, params };
};

const retry: MethodSpec['params'] = (params, fail) => {
  if (isEmpty(params)) return { ok: true, params: {} };
  if (!isPlainObject(params)) return fail('expected {"id": "<recording id>"}');
  const bad = onlyKeys(params, ['id']);
  if (bad) return fail(bad);
  if (params.id !== undefined && (typeof params.id !== 'string' || !ID_PATTERN.test(params.id))) {
    return fail('"id" must be a recording id (letters, digits, ".", "_", "-")');
  }
  return { ok: true, params };
};

/**
 * Every method of the protocol and how its params are checked: the one list the server's
 * dispatch, its "Methods:" hint and the validation come from. Its keys are exactly those of the
 * `Methods` type (params and result types), which the client's `request` is typed by. Hand-written
 * checks rather than a schema library: four small shapes, and the client path stays free of it.
 */
export const METHOD_TABLE: { readonly [M in MethodName]: MethodSpec } = {
  hello: { params: hello },
  status: { params: none },
  toggle: { params: action },
  start: { params: action },
  finish: { params: none },
  cancel: { params: none },
  subscribe: { params: none, subscription: true },
  last: { params: last },
  retry: { params: retry },
  shutdown: { params: none },
};

export const METHOD_NAMES = Object.keys(METHOD_TABLE) as readonly MethodName[];

export function isMethod(name: string): name is MethodName {
  return Object.hasOwn(METHOD_TABLE, name);
}

/** Validates a method's params and returns them normalised, or a message for -32602. */
export function validateParams(method: MethodName, params: unknown): ParamsCheck {
  return METHOD_TABLE[method].params(params, (why) => ({
    ok: false,
    message: `Invalid params for "${method}": ${why}`,
  }));
}
