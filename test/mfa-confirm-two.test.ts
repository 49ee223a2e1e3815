// Two-code confirmation (confirm: { codes: 2 }): two consecutive codes, which
// also measure the authenticator's clock offset (RFC 6238 §6), stored and used
// as the centre of that factor's window.
import { describe, expect, it } from 'vitest';
import { codeAt, harness, STEP, wrongCode, type Harness } from './mfa-fixtures.js';

async function begin(h: Harness, userId = 'u'): Promise<string> {
  return (await h.mfa.beginEnrollment(userId, { account: `${userId}@example.com` })).secret;
}

const offsetOf = async (h: Harness, userId = 'u'): Promise<unknown> => JSON.parse((await h.store.getUser(userId)).factors[0]?.meta ?? '{}').offset;

describe('confirm: { codes: 2 }', () => {
  it('takes two consecutive codes and claims the second one’s step', async () => {
    const h = harness({ confirm: { codes: 2 } });
    const secret = await begin(h);
    const t = h.clock.t;
    const r = await h.mfa.confirmEnrollment('u', [codeAt(secret, t - STEP), codeAt(secret, t)]);
    expect(r).toMatchObject({ ok: true });
    expect(r.ok && r.recoveryCodes).toHaveLength(10);
    expect(await offsetOf(h)).toBeUndefined();
    expect(await h.mfa.verify('u', codeAt(secret, t))).toEqual({ ok: false, reason: 'replayed' });
    expect(await h.mfa.verify('u', codeAt(secret, t + STEP))).toMatchObject({ ok: true });
  });

  it('measures an authenticator two steps ahead and centres the window there', async () => {
    const h = harness({ confirm: { codes: 2 } });
    const secret = await begin(h);
    const ahead = (t: number): number => t + 2 * STEP; // the phone's clock
    const t = h.clock.t;
    expect(await h.mfa.confirmEnrollment('u', [codeAt(secret, ahead(t) - STEP), codeAt(secret, ahead(t))])).toMatchObject({ ok: true });
    expect(await offsetOf(h)).toBe(2);
    h.clock.t += 10 * STEP;
    // The phone's current code, and one step either side of it, are accepted…
    expect(await h.mfa.verify('u', codeAt(secret, ahead(h.clock.t) - STEP))).toMatchObject({ ok: true });
    expect(await h.mfa.verify('u', codeAt(secret, ahead(h.clock.t) + STEP))).toMatchObject({ ok: true });
    h.clock.t += 10 * STEP;
    // …the server's own current step is now two steps behind the centre: outside the ±1 window.
    expect(await h.mfa.verify('u', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('measures an authenticator behind, too, within ±2 steps only', async () => {
    const h = harness({ confirm: { codes: 2 } });
    const secret = await begin(h);
    const t = h.clock.t;
    expect(await h.mfa.confirmEnrollment('u', [codeAt(secret, t - 2 * STEP), codeAt(secret, t - STEP)])).toMatchObject({ ok: true });
    expect(await offsetOf(h)).toBe(-1);
    const far = harness({ confirm: { codes: 2 } });
    const s2 = await begin(far);
    const f = far.clock.t;
    expect(await far.mfa.confirmEnrollment('u', [codeAt(s2, f + 2 * STEP), codeAt(s2, f + 3 * STEP)])).toEqual({ ok: false, reason: 'mismatch' });
    expect(await far.mfa.confirmEnrollment('u', [codeAt(s2, f - 4 * STEP), codeAt(s2, f - 3 * STEP)])).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses codes that are not consecutive, in the wrong order, or the same code twice', async () => {
    const h = harness({ confirm: { codes: 2 } });
    const secret = await begin(h);
    const t = h.clock.t;
    for (const pair of [
      [codeAt(secret, t - STEP), codeAt(secret, t + STEP)],
      [codeAt(secret, t), codeAt(secret, t - STEP)],
      [codeAt(secret, t), codeAt(secret, t)],
      [codeAt(secret, t - STEP), wrongCode(secret, t)],
    ]) {
      expect(await h.mfa.confirmEnrollment('u', pair)).toEqual({ ok: false, reason: 'mismatch' });
    }
    expect((await h.store.getUser('u')).attempts.failures).toBe(4);
    expect((await h.store.getUser('u')).factors[0]?.state).toBe('pending');
  });

  it('answers one code, or anything else than two codes, as malformed without an attempt', async () => {
    const h = harness({ confirm: { codes: 2 } });
    const secret = await begin(h);
    const c = codeAt(secret, h.clock.t);
    for (const input of [c, [c], [c, c, c], [c, 'abc'], [c, 123456], [], null, { 0: c, 1: c, length: 2 }]) {
      expect(await h.mfa.confirmEnrollment('u', input)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect((await h.store.getUser('u')).attempts.failures).toBe(0);
  });

  it('with one code configured, two consecutive codes are still a two-code confirmation', async () => {
    const h = harness();
    const secret = await begin(h);
    const t = h.clock.t;
    expect(await h.mfa.confirmEnrollment('u', [codeAt(secret, t), codeAt(secret, t + STEP)])).toMatchObject({ ok: true });
    expect(await offsetOf(h)).toBe(1);
  });

  it('only 1 or 2 codes can be configured', () => {
    for (const confirm of [{ codes: 3 }, { codes: 0 }, { codes: '2' }, { codes: undefined }, { other: 1 }, 'two']) {
      expect(() => harness({ confirm: confirm as never })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });
});
