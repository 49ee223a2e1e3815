import { createMemoryStore, createMfa, generateTotp, type CreateMfaOptions, type MemoryStore, type MfaEvent } from '../src/index.js';

/** 2026-01-01T00:00:00Z, at the start of a TOTP step. */
export const T0 = 1_767_225_600_000;
export const STEP = 30_000;

export function randomKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

export interface Harness {
  mfa: ReturnType<typeof createMfa>;
  store: MemoryStore;
  clock: { t: number };
  events: MfaEvent[];
  keys: { k1: Uint8Array };
}

/** A createMfa over a MemoryStore with an injected clock and an event log. */
export function harness(over: Partial<CreateMfaOptions> = {}): Harness {
  const clock = { t: T0 };
  const events: MfaEvent[] = [];
  const store = (over.store as MemoryStore | undefined) ?? createMemoryStore();
  const keys = { k1: randomKey() };
  const mfa = createMfa({
    store,
    issuer: 'ACME',
    secretKeys: { current: 'k1', keys },
    pepper: 'test-pepper',
    now: () => clock.t,
    onEvent: (e) => {
      events.push(e);
    },
    ...over,
  });
  return { mfa, store, clock, events, keys };
}

/** Enrols `userId` at the current clock and moves the clock one step on, so the next code is fresh. */
export async function enroll(h: Harness, userId = 'user-1', label?: string): Promise<{ secret: string; factorId: string; recoveryCodes: string[] }> {
  const { secret } = await h.mfa.beginEnrollment(userId, { account: `${userId}@example.com`, ...(label === undefined ? {} : { label }) });
  const r = await h.mfa.confirmEnrollment(userId, generateTotp(secret, { now: h.clock.t }));
  if (!r.ok) throw new Error(`enrolment failed: ${r.reason}`);
  h.clock.t += STEP;
  return { secret, factorId: r.factorId, recoveryCodes: r.recoveryCodes ?? [] };
}

export const codeAt = (secret: string, t: number): string => generateTotp(secret, { now: t });

/** The current code of `secret` for a re-verification (which spends its step); moves the clock one step on. */
export function reverifyWith(h: Harness, secret: string): { code: string } {
  const code = codeAt(secret, h.clock.t);
  h.clock.t += STEP;
  return { code };
}

/** A code that is wrong for every step of the ±1 window at `t`. */
export function wrongCode(secret: string, t: number): string {
  const near = new Set([codeAt(secret, t - STEP), codeAt(secret, t), codeAt(secret, t + STEP)]);
  for (let n = 0; ; n++) {
    const c = String(n).padStart(6, '0');
    if (!near.has(c)) return c;
  }
}
