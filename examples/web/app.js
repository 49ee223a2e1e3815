// The app: its parts, the middleware, sign-up and sign-in. The other pages are
// in routes/ (settings, administration, API).
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { httpStatusFor, isMfaError } from 'mfakit';
import { createAppMfa, loadKeys } from './config.js';
import { createSettings, createUsers, openDatabase } from './db.js';
import * as pages from './pages.js';
import { adminRoutes } from './routes/admin.js';
import { apiRoutes } from './routes/api.js';
import { settingsRoutes } from './routes/settings.js';
import { DEVICE_COOKIE, cookieOptions, createSessions, createSigner } from './session.js';

const CSP = "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** "Chrome on Linux", for the list of trusted browsers. @param {string} ua */
function browserName(ua) {
  const browser = ['Edg', 'Firefox', 'Chrome', 'Safari'].find((name) => ua.includes(name))?.replace('Edg', 'Edge') ?? 'A browser';
  const os = ['Windows', 'Android', 'iPhone', 'iPad', 'Mac OS X', 'Linux'].find((name) => ua.includes(name))?.replace('Mac OS X', 'macOS');
  return os ? `${browser} on ${os}` : browser;
}

/**
 * The request's session, and its user once the password step is behind.
 * @typedef {{ Variables: { session: import('./session.js').Session | null, user: import('./db.js').User | null } }} Env
 * @typedef {import('hono').Context<Env>} Context
 */

/**
 * What the route files get from {@link startApp}.
 * @typedef {{
 *   app: Hono<Env>, db: Awaited<ReturnType<typeof openDatabase>>, mfa: import('mfakit').Mfa,
 *   users: ReturnType<typeof createUsers>, settings: ReturnType<typeof createSettings>,
 *   sessions: ReturnType<typeof createSessions>, signer: ReturnType<typeof createSigner>, now: () => number,
 *   show: (c: Context, page: Parameters<typeof pages.layout>[0], answer?: import('hono/utils/http-status').ContentfulStatusCode | object) => Response | Promise<Response>,
 *   signedInAs: (c: Context) => { session: import('./session.js').Session, user: import('./db.js').User },
 *   signedIn: (opts?: { enrolling?: boolean }) => import('hono').MiddlewareHandler<Env>, admin: import('hono').MiddlewareHandler<Env>,
 *   outbox: Array<{ to: string, subject: string, body: string, at: number }>, devOutbox: boolean,
 * }} Deps
 */

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
  // Listening first: passkeys need the pages' origin (PUBLIC_URL, else http://localhost:<port>).
  /** @type {(request: Request, env: unknown) => Response | Promise<Response>} */
  let handle = () => new Response('Starting.', { status: 503 });
  const server = serve({ fetch: (request, bindings) => handle(request, bindings), port, hostname });
  await once(server, 'listening');
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const origin = env.PUBLIC_URL ? new URL(env.PUBLIC_URL).origin : `http://localhost:${address.port}`;

  const db = await openDatabase({ dataDir, databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL });
  const keys = loadKeys(dataDir, env);
  const users = createUsers(db.sql);
  const settings = createSettings(db.sql);
  const mfa = createAppMfa({ store: db.store, keys, policy: () => settings.policy(), now, log, origin });
  const signer = createSigner(keys.cookieKey);
  const sessions = createSessions(signer, now);
  /** @type {Array<{ to: string, subject: string, body: string, at: number }>} */
  const outbox = [];
  const devOutbox = env.NODE_ENV !== 'production';

  /** @type {Hono<Env>} */
  const app = new Hono();
  const statics = {
    '/static/style.css': ['text/css', readFileSync(join(import.meta.dirname, 'public/style.css'), 'utf8')],
    '/static/copy.js': ['text/javascript', readFileSync(join(import.meta.dirname, 'public/copy.js'), 'utf8')],
    '/static/passkey.js': ['text/javascript', readFileSync(join(import.meta.dirname, 'public/passkey.js'), 'utf8')],
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

  /**
   * A page. `answer` is an HTTP status, or an mfakit result: then the status
   * and Retry-After are the ones `httpStatusFor` gives it.
   */
  const show = (/** @type {Context} */ c, /** @type {Parameters<typeof pages.layout>[0]} */ page, /** @type {import('hono/utils/http-status').ContentfulStatusCode | object} */ answer = 200) => {
    const { status, retryAfter } = typeof answer === 'number' ? { status: answer, retryAfter: undefined } : httpStatusFor(answer);
    if (retryAfter !== undefined) c.header('Retry-After', String(retryAfter));
    return c.html(pages.layout({ user: c.get('user'), ...page }), status);
  };

  /**
   * Pages for signed-in users. `enrolling` pages are open to a user who must
   * enrol first; every other page sends that user to enrolment.
   */
  const signedIn = (/** @type {{ enrolling?: boolean }} */ { enrolling = false } = {}) => /** @type {import('hono').MiddlewareHandler<Env>} */ (async (c, next) => {
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
  /** The session and user of a route behind `signedIn()`. @param {Context} c */
  const signedInAs = (c) => {
    const session = c.get('session');
    const user = c.get('user');
    if (!session || !user) throw new Error('signedInAs() needs signedIn() before it');
    return { session, user };
  };
  const admin = /** @type {import('hono').MiddlewareHandler<Env>} */ (async (c, next) => (c.get('user')?.isAdmin ? next() : c.text('Administrators only.', 403)));

  // ── sign-up and sign-in ──────────────────────────────────────────────
  /** After the password: the second step, enrolment, or in. @param {Context} c @param {import('./db.js').User} user */
  async function afterPassword(c, user) {
    const status = await mfa.status(user.id);
    if (status.enrolled) {
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
    if (status?.mustEnroll) return c.redirect('/settings/add');
    return show(c, { title: 'Home', body: pages.home({ user, status }) });
  });

  app.get('/signup', (c) => show(c, { title: 'Sign up', body: pages.passwordForm({ mode: 'signup' }) }));
  app.post('/signup', async (c) => {
    const { email, password } = await c.req.parseBody();
    if (typeof email !== 'string' || typeof password !== 'string' || password.length < 10 || !email.includes('@')) {
      return show(c, { title: 'Sign up', error: 'Enter an e-mail address and a password of at least 10 characters.', body: pages.passwordForm({ mode: 'signup' }) }, 400);
    }
    const user = await users.create({ email: email.trim().toLowerCase(), password, now: now() });
    if (!user) return show(c, { title: 'Sign up', error: 'That address already has an account.', body: pages.passwordForm({ mode: 'signup' }) }, 409);
    return afterPassword(c, user);
  });

  app.get('/login', (c) => show(c, { title: 'Sign in', body: pages.passwordForm({ mode: 'login' }) }));
  app.post('/login', async (c) => {
    const { email, password } = await c.req.parseBody();
    const user = typeof email === 'string' && typeof password === 'string' ? await users.checkPassword(email.trim().toLowerCase(), password) : null;
    if (!user) return show(c, { title: 'Sign in', error: 'Wrong e-mail or password.', body: pages.passwordForm({ mode: 'login', email: String(email ?? '') }) }, 401);
    return afterPassword(c, user);
  });

  /** The second step: a code, or "Use a passkey" when the user has one (a fresh challenge each time). @param {Context} c @param {string} uid @param {object} [failed] */
  async function secondStepPage(c, uid, failed) {
    const hasPasskey = (await mfa.listFactors(uid)).some((f) => f.kind === 'webauthn' && f.state === 'active');
    const passkey = hasPasskey ? (await mfa.beginPasskeySignIn(uid)).options : null;
    const error = failed ? pages.reasonText(failed) : undefined;
    return show(c, { title: 'Two-factor authentication', error, script: passkey ? 'passkey' : undefined, body: pages.secondStep({ passkey }) }, failed);
  }

  app.get('/login/code', (c) => {
    const session = c.get('session');
    return session?.step === 'code' ? secondStepPage(c, session.uid) : c.redirect('/login');
  });
  app.post('/login/code', async (c) => {
    const session = c.get('session');
    if (session?.step !== 'code') return c.redirect('/login');
    const { code, trust, passkey } = await c.req.parseBody();
    // A passkey's answer comes as the JSON of credential.toJSON(); mfakit tells it from a code.
    const r = await mfa.verify(session.uid, typeof passkey === 'string' && passkey !== '' ? pages.parseJson(passkey) : code);
    if (!r.ok) return secondStepPage(c, session.uid, r);
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
  const deps = { app, db, mfa, users, settings, sessions, signer, now, show, signedIn, signedInAs, admin, outbox, devOutbox };
  settingsRoutes(deps);
  adminRoutes(deps);
  apiRoutes(deps);
  handle = app.fetch;

  return {
    /** Where the pages are meant to be opened (passkeys are bound to it). */
    origin,
    url: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${address.port}`,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await db.close();
    },
  };
}
