import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeAt, enroll, harness, STEP } from './mfa-fixtures.js';

// Model-based: random sign-in sessions against the invariants of the flows.
type Op = { kind: 'advance'; steps: number } | { kind: 'totp'; offset: -1 | 0 | 1 } | { kind: 'recovery'; index: number } | { kind: 'wrong' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), steps: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('totp' as const), offset: fc.constantFrom(-1 as const, 0 as const, 1 as const) }),
  fc.record({ kind: fc.constant('recovery' as const), index: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ kind: fc.constant('wrong' as const) }),
);

describe('properties of verify', () => {
  it('a TOTP step is accepted at most once and only after every step accepted before; a recovery code works at most once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const h = harness({ policy: { throttle: { locks: [0], suspendAfter: 100 } } });
        const { secret, recoveryCodes } = await enroll(h);
        const usedCodes = new Set<number>();
        let lastStep = Math.floor((h.clock.t - STEP) / STEP);
        let remaining = recoveryCodes.length;
        for (const o of ops) {
          if (o.kind === 'advance') {
            h.clock.t += o.steps * STEP;
          } else if (o.kind === 'totp') {
            const typed = codeAt(secret, h.clock.t + o.offset * STEP);
            // Model: the latest window step whose code is the typed one and which is
            // later than the last accepted step; codes of different steps may collide.
            const current = Math.floor(h.clock.t / STEP);
            const fresh = [-1, 0, 1].map((d) => current + d).filter((s) => s > lastStep && codeAt(secret, s * STEP) === typed);
            const r = await h.mfa.verify('user-1', typed);
            expect(r.ok).toBe(fresh.length > 0);
            if (r.ok) lastStep = fresh.at(-1) as number;
            else expect(r.reason).toBe('replayed');
          } else if (o.kind === 'recovery') {
            const r = await h.mfa.verify('user-1', recoveryCodes[o.index] as string);
            expect(r.ok).toBe(!usedCodes.has(o.index));
            if (r.ok) {
              usedCodes.add(o.index);
              remaining--;
              expect(r.remainingRecoveryCodes).toBe(remaining);
            }
          } else {
            const r = await h.mfa.verify('user-1', '9'.repeat(5) + 'x');
            expect(r).toEqual({ ok: false, reason: 'malformed' });
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
