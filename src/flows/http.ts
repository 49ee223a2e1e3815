import { isMfaError } from '../errors.js';

/** What {@link httpStatusFor} answers: the status, and for `429` the `Retry-After` value in seconds. */
export interface HttpAnswer {
  status: 200 | 400 | 401 | 403 | 429 | 500 | 503;
  /** Seconds for the `Retry-After` header, present exactly with 429. */
  retryAfter?: number;
}

/**
 * The HTTP status for a flow's result or error, so every route of a host maps
 * them the same way: success 200; `malformed` 400 (nothing was counted);
 * `locked` and `cooldown` 429 with `Retry-After`; `suspended` 403 (only an
 * administrator can help); any other refusal 401; `STORE_UNAVAILABLE` 503
 * (never a success: let the user retry); any other error 500.
 *
 * @param outcome - a result `{ ok, reason?, retryAfterMs? }` of an `Mfa` method, or an error it threw
 * @returns `{ status, retryAfter? }`
 * @example
 * const r = await mfa.verify(user.id, body.code);
 * const { status, retryAfter } = httpStatusFor(r);
 * if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
 * res.status(status).json(r);
 */
export function httpStatusFor(outcome: unknown): HttpAnswer {
  if (isMfaError(outcome)) return { status: outcome.code === 'STORE_UNAVAILABLE' ? 503 : 500 };
  if (typeof outcome !== 'object' || outcome === null || !('ok' in outcome)) return { status: 500 };
  const r = outcome as { ok: unknown; reason?: unknown; retryAfterMs?: unknown };
  if (r.ok === true) return { status: 200 };
  if (r.reason === 'malformed') return { status: 400 };
  if (r.reason === 'suspended') return { status: 403 };
  if (r.reason === 'locked' || r.reason === 'cooldown') {
    const ms = typeof r.retryAfterMs === 'number' && Number.isFinite(r.retryAfterMs) ? r.retryAfterMs : 0;
    return { status: 429, retryAfter: Math.max(1, Math.ceil(ms / 1000)) };
  }
  return { status: 401 };
}
