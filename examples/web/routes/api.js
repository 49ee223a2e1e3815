// The API's sign-in: the password at /api/login answers a challenge token
// (mfakit's createChallenge), and /api/verify trades it and a code for an access token.
import { httpStatusFor } from 'mfakit';

const API_TOKEN_MS = 3_600_000;

/** @param {import('../app.js').Deps} deps */
export function apiRoutes({ app, mfa, users, signer, now }) {
  const accessToken = (/** @type {string} */ uid) => signer.sign('api', { uid, exp: now() + API_TOKEN_MS });

  app.post('/api/login', async (c) => {
    const { email, password } = await c.req.json().catch(() => ({}));
    const user = typeof email === 'string' && typeof password === 'string' ? await users.checkPassword(email.trim().toLowerCase(), password) : null;
    if (!user) return c.json({ error: 'wrong-password' }, 401);
    const status = await mfa.status(user.id);
    if (status.enrolled) {
      const { token, expiresAt } = await mfa.createChallenge(user.id);
      return c.json({ mfaRequired: true, challenge: token, expiresAt });
    }
    if (status.mustEnroll) return c.json({ error: 'enrolment-required' }, 403);
    return c.json({ accessToken: accessToken(user.id) });
  });
  app.post('/api/verify', async (c) => {
    const { challenge, code } = await c.req.json().catch(() => ({}));
    const r = await mfa.verifyChallenge(challenge, code);
    const { status, retryAfter } = httpStatusFor(r);
    if (retryAfter !== undefined) c.header('Retry-After', String(retryAfter));
    if (!r.ok) return c.json({ error: r.reason }, status);
    return c.json({ accessToken: accessToken(r.userId), method: r.method, remainingRecoveryCodes: r.remainingRecoveryCodes });
  });
  app.get('/api/me', async (c) => {
    const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    const user = await users.get(signer.open('api', token, now())?.uid ?? '');
    return user ? c.json({ id: user.id, email: user.email }) : c.json({ error: 'unauthorized' }, 401);
  });
}
