import type { OtpMac } from './hmac.js';
import { codeDiff } from './token.js';

/** What {@link matchWindow} returns when no step matched. */
export const MISMATCH = -1;
/** What {@link matchWindow} returns when only steps at or before `afterStep` matched. */
export const REPLAYED = -2;

/**
 * The TOTP window check shared by `verifyTotp` and the stateful layer. Every
 * step from `current - past` to `current + future` is computed and compared in
 * constant time, with no early exit. The latest fresh step wins: when two
 * steps of the window share a code, accepting the earlier one would leave the
 * later one open and the same code could be accepted twice (RFC 6238 §5.2). A
 * match at an already-accepted step only says "replayed".
 *
 * @returns the matched step, or {@link MISMATCH} / {@link REPLAYED}
 */
export function matchWindow(mac: OtpMac, value: number, mod: number, current: number, past: number, future: number, afterStep: number): number {
  let best = -1;
  let replayed = false;
  for (let delta = -past; delta <= future; delta++) {
    const step = current + delta;
    if (step < 0 || step > Number.MAX_SAFE_INTEGER) continue;
    const hit = codeDiff(mac.truncate(step) % mod, value) === 0;
    if (!hit) continue;
    if (step <= afterStep) replayed = true;
    else best = step;
  }
  return best >= 0 ? best : replayed ? REPLAYED : MISMATCH;
}
