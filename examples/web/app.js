// The routes. Read top to bottom: middleware, sign-up and sign-in, settings,
// e-mail verification, the administrator, the API.
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { getCookie, deleteCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { formatRecoveryCodesText, httpStatusFor, isMfaError } from 'mfakit';
import { qrDataUri } from 'mfakit/qr';
import { createAppMfa, loadKeys } from './config.js';
import { createSettings, createUsers, openDatabase } from './db.js';
import * as pages from './pages.js';
import { cookieOptions, createSessions, createSigner } from './session.js';

const CSP = "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const DEVICE_COOKIE = 'trusted_device';
const EMAIL_PURPOSE = 'email:verify';
const API_TOKEN_MS = 3_600_000;

/** What to tell the user for each refusal of mfakit (docs/flows.md). @param {any} r */
function reasonText(r) {
  switch (r.reason) {
    case 'mismatch': return r.attemptsLeft === undefined ? 'That code didn’t work.' : `That code didn’t work (${r.attemptsLeft} tries left).`;
    case 'malformed': return 'Enter the 6-digit code from your app, or a recovery code.';
    case 'replayed': return 'That code was already used: wait for the next one.';
    case 'locked': return `Too many attempts: try again in ${Math.ceil(r.retryAfterMs / 1000)} seconds.`;
    case 'suspended': return 'Too many wrong codes: two-factor sign-in is suspended. Ask an administrator to reset it.';
    case 'expired': return 'That has expired: start again.';
    case 'not-enrolled': return 'Two-factor authentication is not on.';
    case 'reverify-required': return 'Enter a current code from your app to do this.';
    case 'cooldown': return `A code was sent less than a minute ago; it still works. You can ask for another in ${Math.ceil(r.retryAfterMs / 1000)} seconds.`;
    default: return 'That did not work.';
  }
}

/** "Chrome on Linux", for the list of trusted browsers. @param {string} ua */
function browserName(ua) {
  const browser = ['Edg', 'Firefox', 'Chrome', 'Safari'].find((name) => ua.includes(name))?.replace('Edg', 'Edge') ?? 'A browser';
  const os = ['Windows', 'Android', 'iPhone', 'iPad', 'Mac OS X', 'Linux'].find((name) => ua.includes(name))?.replace('Mac OS X', 'macOS');
  return os ? `${browser} on ${os}` : browser;
}

/**
 * Starts the app.
 * @param {{
 *   dataDir: string,
 *   port?: number,
 *   hostname?: string,
 *   env?: Record<string, string | undefined>,
 *   now?: () => number,
 *   log?: (line: string) => void,
 * }} opts - `now` is the clock of everything (tests move it); `env` holds DATABASE_URL, REDIS_URL, the keys and NODE_ENV
 */
export async function startApp({ dataDir, port = 3000, hostname = '127.0.0.1', env = process.env, now = Date.now, log = console.log }) {
  mkdirSync(dataDir, { recursive: true });
  const db = await openDatabase({ dataDir, databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL });
  const keys = loadKeys(dataDir, env);
  const users = createUsers(db.sql);
  const settings = createSettings(db.sql);
  const mfa = createAppMfa({ store: db.store, keys, policy: () => settings.policy(), now, log });
  const signer = createSigner(keys.cookieKey);
  const sessions = createSessions(signer, now);
  /** @type {Array<{ to: string, subject: string, body: string, at: number }>} */
  const outbox = [];
  const devOutbox = env.NODE_ENV !== 'production';

  const app = new Hono();
  const statics = {
    '/static/style.css': ['text/css', readFileSync(join(import.meta.dirname, 'public/style.css'))],
    '/static/copy.js': ['text/javascript', readFileSync(join(import.meta.dirname, 'public/copy.js'))],
  };

  // ── middleware ───────────────────────────────────────────────────────
  app.use(async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
  });
  // Forms are checked by origin (Origin / Sec-Fetch-Site); see README.md.
  app.use(csrf());
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    if (isMfaError(err, 'STORE_UNAVAILABLE')) return c.text('The database is not answering; try again shortly.', 503);
    log(`error ${err.name}: ${err.message}`);
    return c.text('Something went wrong.', 500);
  });
  for (const [path, [type, body]] of Object.entries(statics)) app.get(path, (c) => c.body(body, 200, { 'content-type': type }));

  // Loads the session for every request, and its user once the password step is behind.
  app.use(async (c, next) => {
    const session = sessions.get(c);
    c.set('session', session);
    c.set('user', session && session.step !== 'code' ? await users.get(session.uid) : null);
    await next();
  });

  /** A page, with the status and Retry-After that mfakit's result calls for. */
  const show = (/** @type {any} */ c, /** @type {Parameters<typeof pages.layout>[0]} */ page, /** @type {unknown} */ result = { ok: true }) => {
    const { status, retryAfter } = httpStatusFor(result);
    if (retryAfter !== undefined) c.header('Retry-After', String(retryAfter));
    return c.html(pages.layout({ user: c.get('user'), ...page }), status);
  };

  /**
   * Pages for signed-in users. `enrolling` pages are open to a user who must
   * enrol first; every other page sends that user to enrolment.
   */
  const signedIn = (/** @type {{ enrolling?: boolean }} */ { enrolling = false } = {}) => /** @type {import('hono').MiddlewareHandler} */ (async (c, next) => {
    const session = c.get('session');
    const user = c.get('user');
    if (session?.step === 'code') return c.redirect('/login/code');
    if (!session || !user) return c.redirect('/login');
    if (session.step === 'full' && !session.mfa && (await mfa.status(user.id)).mustEnroll) {
      // The administrator turned the requirement on since this session began.
      sessions.set(c, { ...session, step: 'enrol' });
      session.step = 'enrol';
    }
    if (session.step === 'enrol' && !enrolling) return c.redirect('/settings/add');
    await next();
  });
  const admin = /** @type {import('hono').MiddlewareHandler} */ (async (c, next) => (c.get('user')?.isAdmin ? next() : c.text('Administrators only.', 403)));

  // ── sign-up and sign-in ──────────────────────────────────────────────
  /** After the password: the second step, enrolment, or in. @param {any} c @param {import('./db.js').User} user */
  async function afterPassword(c, user) {
    const status = await mfa.status(user.id);
    if (status.state === 'active' || status.state === 'suspended') {
      const trusted = status.state === 'active' && (await mfa.checkDevice(user.id, getCookie(c, DEVICE_COOKIE))).ok;
      sessions.set(c, { uid: user.id, step: trusted ? 'full' : 'code', mfa: trusted });
      return c.redirect(trusted ? '/' : '/login/code');
    }
    sessions.set(c, { uid: user.id, step: status.mustEnroll ? 'enrol' : 'full', mfa: false });
    return c.redirect(status.mustEnroll ? '/settings/add' : '/');
  }

  app.get('/', async (c) => {
    const user = c.get('user');
    const status = user ? await mfa.status(user.id) : null;
    return show(c, { title: 'Home', body: pages.home({ user, status }) });
  });

  app.get('/signup', (c) => show(c, { title: 'Sign up', body: pages.passwordForm({ mode: 'signup' }) }));
  app.post('/signup', async (c) => {
    const { email, password } = await c.req.parseBody();
    if (typeof email !== 'string' || typeof password !== 'string' || password.length < 10 || !email.includes('@')) {
      return show(c, { title: 'Sign up', error: 'Enter an e-mail address and a password of at least 10 characters.', body: pages.passwordForm({ mode: 'signup' }) }, { ok: false, reason: 'malformed' });
    }
    const user = await users.create({ email: email.trim().toLowerCase(), password, now: now() });
    if (!user) return show(c, { title: 'Sign up', error: 'That address already has an account.', body: pages.passwordForm({ mode: 'signup' }) }, { ok: false });
    return afterPassword(c, user);
  });

  app.get('/login', (c) => show(c, { title: 'Sign in', body: pages.passwordForm({ mode: 'login' }) }));
  app.post('/login', async (c) => {
    const { email, password } = await c.req.parseBody();
    const user = typeof email === 'string' && typeof password === 'string' ? await users.checkPassword(email.trim().toLowerCase(), password) : null;
    if (!user) return show(c, { title: 'Sign in', error: 'Wrong e-mail or password.', body: pages.passwordForm({ mode: 'login', email: String(email ?? '') }) }, { ok: false });
    return afterPassword(c, user);
  });

  app.get('/login/code', (c) => (c.get('session')?.step === 'code' ? show(c, { title: 'Two-factor authentication', body: pages.secondStep() }) : c.redirect('/login')));
  app.post('/login/code', async (c) => {
    const session = c.get('session');
    if (session?.step !== 'code') return c.redirect('/login');
    const { code, trust } = await c.req.parseBody();
    const r = await mfa.verify(session.uid, code);
    if (!r.ok) return show(c, { title: 'Two-factor authentication', error: reasonText(r), body: pages.secondStep() }, r);
    sessions.set(c, { uid: session.uid, step: 'full', mfa: true });
    if (trust === 'on') {
      const device = await mfa.rememberDevice(session.uid, { label: browserName(c.req.header('user-agent') ?? '') });
      setCookie(c, DEVICE_COOKIE, device.token, { ...cookieOptions(c), maxAge: Math.floor((device.expiresAt - now()) / 1000) });
    }
    return c.redirect(r.method === 'recovery' ? '/settings?used=recovery' : '/');
  });

  app.post('/logout', (c) => {
    sessions.clear(c);
    return c.redirect('/');
  });

  // ── settings ─────────────────────────────────────────────────────────
  /** The settings page, with a note or an error. @param {any} c @param {{ note?: string, error?: string, result?: unknown }} [p] */
  async function settingsPage(c, { note, error, result } = {}) {
    const uid = c.get('user').id;
    const [status, devices] = await Promise.all([mfa.status(uid), mfa.listDevices(uid)]);
    return show(c, { title: 'Security settings', note, error, body: pages.settings({ status, devices, user: c.get('user') }) }, result);
  }
  const NOTES = /** @type {Record<string, string>} */ ({
    recovery: 'You signed in with a recovery code; it cannot be used again.',
    added: 'Authenticator added.',
    renamed: 'Renamed.',
    removed: 'Authenticator removed.',
    disabled: 'Two-factor authentication is off.',
    revoked: 'That browser is no longer trusted.',
    'revoked-all': 'No browser is trusted any more.',
    'email-verified': 'E-mail address verified.',
  });

  app.get('/settings', signedIn(), (c) => settingsPage(c, { note: NOTES[c.req.query('used') ?? c.req.query('done') ?? ''] }));

  app.get('/settings/add', signedIn({ enrolling: true }), (c) =>
    show(c, { title: 'Set up an authenticator app', body: pages.addAuthenticator({ forced: c.get('session').step === 'enrol' }) }),
  );

  /** The enrolment page. A reload (same label, still pending) shows the same QR code. @param {any} c @param {string} label @param {object} [extra] */
  async function enrolPage(c, label, extra = {}, result = undefined) {
    const user = c.get('user');
    const { uri, secret, expiresAt } = await mfa.beginEnrollment(user.id, { account: user.email, label });
    return show(c, { title: 'Scan the QR code', ...extra, body: pages.enrol({ label, qr: qrDataUri(uri), secret, expiresAt }) }, result);
  }

  app.post('/settings/enrol', signedIn({ enrolling: true }), async (c) => {
    const { label } = await c.req.parseBody();
    const name = typeof label === 'string' && label.trim() !== '' ? label.trim().slice(0, 64) : 'Authenticator app';
    try {
      return await enrolPage(c, name);
    } catch (err) {
      if (isMfaError(err, 'FACTOR_LIMIT')) return settingsPage(c, { error: 'You have as many authenticators as allowed: remove one first.', result: { ok: false } });
      throw err;
    }
  });

  app.post('/settings/enrol/confirm', signedIn({ enrolling: true }), async (c) => {
    const { code, label } = await c.req.parseBody();
    const user = c.get('user');
    const r = await mfa.confirmEnrollment(user.id, code);
    if (!r.ok) return enrolPage(c, String(label || 'Authenticator app'), { error: reasonText(r) }, r);
    sessions.set(c, { uid: user.id, step: 'full', mfa: true });
    if (!r.recoveryCodes) return c.redirect('/settings?done=added');
    return codesPage(c, r.recoveryCodes, 'Save your recovery codes');
  });

  /** The codes, shown once, with Download (a data: link, no script needed) and Copy. @param {any} c @param {string[]} codes @param {string} title */
  function codesPage(c, codes, title) {
    const text = formatRecoveryCodesText(codes, { issuer: 'mfakit demo', account: c.get('user').email, createdAt: now() });
    return show(c, { title, script: true, body: pages.recoveryCodes({ codes, text }) });
  }

  app.post('/settings/factors/:id/rename', signedIn(), async (c) => {
    const { label } = await c.req.parseBody();
    const name = typeof label === 'string' ? label.trim() : '';
    if (name === '' || name.length > 64) return settingsPage(c, { error: 'A name has 1 to 64 characters.', result: { ok: false, reason: 'malformed' } });
    await mfa.renameFactor(c.get('user').id, c.req.param('id'), name);
    return c.redirect('/settings?done=renamed');
  });

  app.post('/settings/factors/:id/remove', signedIn(), async (c) => {
    const { code } = await c.req.parseBody();
    const r = await mfa.removeFactor(c.get('user').id, c.req.param('id'), { code: code || undefined });
    if (!r.ok) return settingsPage(c, { error: reasonText(r), result: r });
    if (r.disabled) sessions.set(c, { ...c.get('session'), mfa: false });
    return c.redirect(`/settings?done=${r.disabled ? 'disabled' : 'removed'}`);
  });

  app.get('/settings/recovery-codes', signedIn(), async (c) => {
    const { recoveryCodesRemaining } = await mfa.status(c.get('user').id);
    return show(c, { title: 'Recovery codes', body: pages.manageRecoveryCodes({ remaining: recoveryCodesRemaining }) });
  });
  for (const action of /** @type {const} */ (['view', 'regenerate'])) {
    app.post(`/settings/recovery-codes/${action}`, signedIn(), async (c) => {
      const { code } = await c.req.parseBody();
      const uid = c.get('user').id;
      const r = action === 'view' ? await mfa.viewRecoveryCodes(uid, { code }) : await mfa.regenerateRecoveryCodes(uid, { code });
      if (!r.ok) {
        const { recoveryCodesRemaining } = await mfa.status(uid);
        return show(c, { title: 'Recovery codes', error: reasonText(r), body: pages.manageRecoveryCodes({ remaining: recoveryCodesRemaining }) }, r);
      }
      return codesPage(c, r.recoveryCodes, action === 'view' ? 'Your recovery codes' : 'Your new recovery codes');
    });
  }

  app.post('/settings/devices/:id/revoke', signedIn(), async (c) => {
    await mfa.revokeDevice(c.get('user').id, c.req.param('id'));
    return c.redirect('/settings?done=revoked');
  });
  app.post('/settings/devices/revoke-all', signedIn(), async (c) => {
    const { code } = await c.req.parseBody();
    const r = await mfa.revokeAllDevices(c.get('user').id, { code });
    return r.ok ? c.redirect('/settings?done=revoked-all') : settingsPage(c, { error: reasonText(r), result: r });
  });

  app.get('/settings/disable', signedIn(), (c) => show(c, { title: 'Turn off two-factor authentication', body: pages.disable() }));
  app.post('/settings/disable', signedIn(), async (c) => {
    const { password, code } = await c.req.parseBody();
    const user = c.get('user');
    const page = { title: 'Turn off two-factor authentication', body: pages.disable() };
    if (typeof password !== 'string' || !(await users.recheckPassword(user.id, password))) return show(c, { ...page, error: 'Wrong password.' }, { ok: false });
    const r = await mfa.disable(user.id, { code });
    if (!r.ok) return show(c, { ...page, error: reasonText(r) }, r);
    sessions.set(c, { ...c.get('session'), mfa: false });
    deleteCookie(c, DEVICE_COOKIE, cookieOptions(c));
    return c.redirect('/settings?done=disabled');
  });

  // ── e-mail verification: a code by mail, which lands in the dev outbox ──
  app.post('/settings/email/send', signedIn(), async (c) => {
    const user = c.get('user');
    const r = await mfa.sendCode(user.id, {
      purpose: EMAIL_PURPOSE,
      destination: user.email,
      send: ({ to, code }) => {
        outbox.unshift({ to, subject: 'Your verification code', body: `Your mfakit demo code is ${code}.\nIt expires in 5 minutes.`, at: now() });
      },
    });
    return show(c, { title: 'Verify your e-mail address', error: r.ok ? undefined : reasonText(r), body: pages.emailCode({ email: user.email }) }, r);
  });
  app.post('/settings/email/verify', signedIn(), async (c) => {
    const { code } = await c.req.parseBody();
    const user = c.get('user');
    const r = await mfa.verifyCode(user.id, { purpose: EMAIL_PURPOSE, destination: user.email, code });
    if (!r.ok) return show(c, { title: 'Verify your e-mail address', error: reasonText(r), body: pages.emailCode({ email: user.email }) }, r);
    await users.markEmailVerified(user.id);
    return c.redirect('/settings?done=email-verified');
  });

  if (devOutbox) app.get('/dev/outbox', (c) => show(c, { title: 'Outbox', body: pages.outbox({ messages: outbox }) }));

  // ── the administrator ────────────────────────────────────────────────
  /** Each user's MFA state: from the store's listing where it has one (Postgres), else per user (Redis). */
  async function mfaStates(/** @type {import('./db.js').User[]} */ all) {
    if (!db.store.supports.listing) {
      return Promise.all(all.map(async (user) => {
        const s = await mfa.status(user.id);
        const active = s.factors.filter((f) => f.state === 'active');
        return { user, factors: active.length, lastUsedAt: Math.max(0, ...active.map((f) => f.lastUsedAt ?? 0)) || null, suspended: s.state === 'suspended' };
      }));
    }
    const enrolled = new Map();
    for (let cursor = null; ; ) {
      const page = await mfa.listEnrolled({ cursor, limit: 500 });
      for (const u of page.users) enrolled.set(u.userId, u);
      if ((cursor = page.cursor) === null) break;
    }
    return all.map((user) => ({ user, factors: 0, lastUsedAt: null, suspended: false, ...enrolled.get(user.id) }));
  }

  app.get('/admin', signedIn(), admin, async (c) => {
    const rows = await mfaStates(await users.all());
    return show(c, { title: 'Administration', note: c.req.query('done') ? 'Saved.' : undefined, body: pages.admin({ policy: await settings.policy(), rows, now: now() }) });
  });
  app.post('/admin/policy', signedIn(), admin, async (c) => {
    const { required, graceDays } = await c.req.parseBody();
    const days = Math.min(90, Math.max(0, Math.floor(Number(graceDays) || 0)));
    await settings.setPolicy({ required: required === 'on', graceEndsAt: required === 'on' && days > 0 ? now() + days * 86_400_000 : null });
    return c.redirect('/admin?done=policy');
  });
  app.post('/admin/users/:id/reset', signedIn(), admin, async (c) => {
    const { reason } = await c.req.parseBody();
    if (typeof reason !== 'string' || reason.trim() === '') return c.redirect('/admin');
    await mfa.reset(c.req.param('id'), { actor: c.get('user').id, reason: reason.trim() });
    return c.redirect('/admin?done=reset');
  });

  // ── the API: password, then a challenge token and a code ────────────
  const accessToken = (/** @type {string} */ uid) => signer.sign('api', { uid, exp: now() + API_TOKEN_MS });

  app.post('/api/login', async (c) => {
    const { email, password } = await c.req.json().catch(() => ({}));
    const user = typeof email === 'string' && typeof password === 'string' ? await users.checkPassword(email.trim().toLowerCase(), password) : null;
    if (!user) return c.json({ error: 'wrong-password' }, 401);
    const status = await mfa.status(user.id);
    if (status.state === 'active' || status.state === 'suspended') {
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

  const server = serve({ fetch: app.fetch, port, hostname });
  await once(server, 'listening');
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${address.port}`,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await db.close();
    },
  };
}
