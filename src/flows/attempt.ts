import type { Accepted, AttemptReservation, AttemptStart } from '../store/types.js';
import type { AttemptMethod, MfaFailure, MfaFailureReason } from '../types.js';
import type { ResolvedConfig } from './config.js';

/**
 * A kind of answer (an authenticator code, a recovery code, an e-mail code)
 * as the attempt pipeline runs it. A kind is one object made once per
 * `createMfa`; adding a kind is writing one of these.
 *
 * - `Input`: the answer, parsed (malformed input never gets here);
 * - `Loaded`: what reserve-and-load returned, the store's own answer (the
 *   user's factors, or the code record, beside the reservation);
 * - `Match`: what the check found (a factor and a step, a digest);
 * - `Result`: what the decisive write returned.
 */
export interface AttemptKind<Input, Loaded extends { reservation: AttemptReservation | null }, Match, Result extends Accepted | true> {
  /** What the answer is checked as, in events. */
  readonly method: AttemptMethod;
  /** The reason when there is nothing to check against (nothing was written), or how to tell it from the input. */
  readonly absent: 'not-enrolled' | 'expired' | ((input: Input, now: number) => 'expired' | 'replayed');
  /** The reason when the decisive write finds the match already taken (by a concurrent answer, or a reset). */
  readonly lost: 'replayed' | 'mismatch' | 'expired';
  /** Reserve-and-load: one store step; no reservation when there is nothing to check. */
  load(userId: string, input: Input, now: number): Promise<Loaded>;
  /** The check, comparing secrets in constant time; may need to open a sealed secret. */
  check(userId: string, loaded: Loaded, input: Input, now: number): Match | Failed | Promise<Match | Failed>;
  /** The decisive write, carrying its consequences; `null` when the match was already taken. */
  accept(userId: string, match: Match, now: number): Promise<Result | null>;
  /** Events of a success beyond `verify.succeeded`. */
  accepted?(userId: string, match: Match, result: Result, now: number): void;
  /** The factor a match is for, for `verify.succeeded`. */
  factorOf?(match: Match): string;
}

/** Reserve-and-load of the user's factors in `state`, for the kinds that check an answer against factors. */
export const reserveFactors =
  (cfg: ResolvedConfig, state: 'active' | 'pending') =>
  (userId: string, _input: unknown, now: number): Promise<AttemptStart> =>
    cfg.store.beginAttempt(userId, state, now, cfg.schedule);

/** A check that found no match. */
export type Failed = typeof MISMATCH | typeof REPLAYED | typeof MALFORMED;
export const MISMATCH = 'mismatch' as const;
export const REPLAYED = 'replayed' as const;
/** The answer has a shape no factor it was checked against takes (a 7-digit code for 6-digit factors): not a guess. */
export const MALFORMED = 'malformed' as const;

const isFailed = (m: unknown): m is Failed => m === MISMATCH || m === REPLAYED || m === MALFORMED;

/** What {@link runAttempt} answers, with what was loaded. */
export type AttemptOutcome<Loaded, Match, Result> =
  | { ok: true; loaded: Loaded; match: Match; result: Result }
  | { ok: false; failure: MfaFailure; loaded: Loaded };

/**
 * The one throttled pipeline every answer goes through, after it parsed
 * (malformed input is answered before this and costs nothing):
 * reserve-and-load → check → accept or fail → events.
 *
 * The attempt is counted in the same store step that loads what it is
 * checked against, so concurrent guesses cannot slip past a lock; a correct
 * answer's decisive write gives the reservation back. When the check or the
 * decisive write throws (a store failure, a secret that cannot be opened),
 * the reservation is given back on a best-effort basis and the error is
 * rethrown: a server-side failure is not the user's guess.
 */
export async function runAttempt<Input, Loaded extends { reservation: AttemptReservation | null }, Match, Result extends Accepted | true>(
  cfg: ResolvedConfig,
  kind: AttemptKind<Input, Loaded, Match, Result>,
  userId: string,
  input: Input,
  now: number,
): Promise<AttemptOutcome<Loaded, Match, Result>> {
  const { emit } = cfg;
  const loaded = await kind.load(userId, input, now);
  const { reservation } = loaded;
  if (reservation === null) {
    const reason = typeof kind.absent === 'function' ? kind.absent(input, now) : kind.absent;
    emit(() => ({ type: 'verify.failed', userId, at: now, method: kind.method, reason }));
    return { ok: false, failure: { ok: false, reason }, loaded };
  }
  if (!reservation.allowed) return { ok: false, failure: refused(cfg, userId, now, reservation, kind.method), loaded };

  let match: Match | Failed;
  let result: Result | null;
  try {
    const checked = kind.check(userId, loaded, input, now);
    match = checked instanceof Promise ? await checked : (checked as Match | Failed);
    result = isFailed(match) ? null : await kind.accept(userId, match as Match, now);
  } catch (err) {
    await cfg.store.refundAttempt(userId, cfg.schedule).catch(() => undefined);
    throw err;
  }
  if (match === MALFORMED) {
    // Malformed input costs nothing, also when only the factors could tell.
    await cfg.store.refundAttempt(userId, cfg.schedule).catch(() => undefined);
    emit(() => ({ type: 'verify.failed', userId, at: now, method: kind.method, reason: MALFORMED }));
    return { ok: false, failure: { ok: false, reason: MALFORMED }, loaded };
  }
  if (result === null) {
    const reason: MfaFailureReason = isFailed(match) ? match : kind.lost;
    return { ok: false, failure: failed(cfg, userId, now, reservation, kind.method, reason), loaded };
  }
  const accepted = match as Match;
  emit(() => {
    const factorId = kind.factorOf?.(accepted);
    return factorId === undefined
      ? { type: 'verify.succeeded', userId, at: now, method: kind.method }
      : { type: 'verify.succeeded', userId, at: now, method: kind.method, factorId };
  });
  kind.accepted?.(userId, accepted, result, now);
  return { ok: true, loaded, match: accepted, result };
}

/** The answer to a reservation that was refused: locked (with `retryAfterMs`) or suspended. */
export function refused(cfg: ResolvedConfig, userId: string, now: number, r: AttemptReservation, method: AttemptMethod): MfaFailure<'locked' | 'suspended'> {
  const reason = r.suspended ? 'suspended' : 'locked';
  cfg.emit(() => ({ type: 'verify.failed', userId, at: now, method, reason }));
  return reason === 'suspended' ? { ok: false, reason } : { ok: false, reason, retryAfterMs: Math.max(0, (r.lockedUntil ?? now) - now) };
}

/** A checked answer that failed: its attempt stays counted; tells the host when that started a lock, a suspension or a warning. */
function failed(cfg: ResolvedConfig, userId: string, now: number, r: AttemptReservation, method: AttemptMethod, reason: MfaFailureReason): MfaFailure {
  const { emit } = cfg;
  emit(() => ({ type: 'verify.failed', userId, at: now, method, reason }));
  if (r.suspended) emit(() => ({ type: 'lockout', userId, at: now, reason: 'suspended' }));
  else if (r.lockedUntil !== null && r.lockedUntil > now) {
    const lockedUntil = r.lockedUntil;
    emit(() => ({ type: 'lockout', userId, at: now, reason: 'locked', lockedUntil }));
  }
  if (r.failures % cfg.warnAfter === 0) emit(() => ({ type: 'throttle.warning', userId, at: now, failures: r.failures }));
  return { ok: false, reason } as MfaFailure;
}
