import { describe, expect, it } from 'vitest';
import { isMfaError } from '../src/index.js';
import { enroll, harness, T0, wrongCode } from './mfa-fixtures.js';

const DAY = 86_400_000;

describe('policy: required MFA', () => {
  it('is not required by default', async () => {
    const h = harness();
    expect(await h.mfa.status('u')).toEqual({ state: 'none', enrolled: false, required: false, mustEnroll: false, factors: [], recoveryCodesRemaining: 0, warnings: [] });
  });

  it('required: true sends users without an active factor to enrolment', async () => {
    const h = harness({ policy: { required: true } });
    expect(await h.mfa.status('u')).toMatchObject({ state: 'none', required: true, mustEnroll: true });
    await h.mfa.beginEnrollment('u', { account: 'a' });
    expect(await h.mfa.status('u')).toMatchObject({ state: 'pending', mustEnroll: true });
    await enroll(h, 'v');
    expect(await h.mfa.status('v')).toMatchObject({ state: 'active', required: true, mustEnroll: false, recoveryCodesRemaining: 10 });
    expect((await h.mfa.status('v')).factors).toMatchObject([{ kind: 'totp', state: 'active', label: 'Authenticator app' }]);
  });

  it('a grace period defers enforcement until its end', async () => {
    const h = harness({ policy: { required: { graceEndsAt: T0 + 7 * DAY } } });
    expect(await h.mfa.status('u')).toEqual({ state: 'none', enrolled: false, required: true, mustEnroll: false, graceEndsAt: T0 + 7 * DAY, factors: [], recoveryCodesRemaining: 0, warnings: [] });
    h.clock.t = T0 + 7 * DAY - 1;
    expect(await h.mfa.status('u')).toMatchObject({ mustEnroll: false });
    h.clock.t = T0 + 7 * DAY;
    expect(await h.mfa.status('u')).toMatchObject({ mustEnroll: true, graceEndsAt: T0 + 7 * DAY });
    await enroll(h, 'u');
    const s = await h.mfa.status('u');
    expect(s).toMatchObject({ state: 'active', mustEnroll: false });
    expect(s.graceEndsAt).toBeUndefined();
  });

  it('a per-user (async) function decides per user, e.g. by role and sign-up date', async () => {
    const users: Record<string, { admin: boolean; createdAt: number }> = {
      admin: { admin: true, createdAt: T0 - 100 * DAY },
      fresh: { admin: false, createdAt: T0 - DAY },
      old: { admin: false, createdAt: T0 - 100 * DAY },
    };
    const h = harness({
      policy: {
        required: async (id) => {
          const u = users[id];
          if (u === undefined) return false;
          return u.admin ? true : { graceEndsAt: u.createdAt + 14 * DAY };
        },
      },
    });
    expect(await h.mfa.status('admin')).toMatchObject({ required: true, mustEnroll: true });
    expect(await h.mfa.status('fresh')).toMatchObject({ required: true, mustEnroll: false, graceEndsAt: T0 + 13 * DAY });
    expect(await h.mfa.status('old')).toMatchObject({ required: true, mustEnroll: true });
    expect(await h.mfa.status('guest')).toMatchObject({ required: false, mustEnroll: false });
  });

  it('a function returning something else is a configuration error', async () => {
    const h = harness({ policy: { required: () => 'yes' as never } });
    await expect(h.mfa.status('u')).rejects.toSatisfy((e) => isMfaError(e, 'INVALID_CONFIG'));
  });

  it('a suspended factor counts as enrolled and reports no grace', async () => {
    const h = harness({ policy: { required: true, throttle: { locks: [0, 1], suspendAfter: 2 } } });
    const { secret } = await enroll(h, 'u');
    await h.mfa.verify('u', wrongCode(secret, h.clock.t));
    h.clock.t += 1;
    await h.mfa.verify('u', wrongCode(secret, h.clock.t));
    expect(await h.mfa.status('u')).toMatchObject({ state: 'suspended', mustEnroll: false, required: true });
  });
});
