// Sessions in a signed cookie: the JSON payload in the clear, an HMAC-SHA-256
// tag beside it. Nothing secret goes in it; it can be read, not forged.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/**
 * `step` says how far the sign-in got: `code` (password checked, second factor
 * next), `enrol` (MFA is required and the user has none: enrolment only), `full`.
 * @typedef {{ uid: string, step: 'code' | 'enrol' | 'full', mfa: boolean, exp: number }} Session
 * @typedef {import('hono').Context} Context
 */

/**
 * Signs and opens tokens; `purpose` keeps a session cookie from being used as an API token.
 * @param {string} key - base64, 32 bytes
 */
export function createSigner(key) {
  const secret = Buffer.from(key, 'base64');
  if (secret.length < 32) throw new RangeError('the cookie key must be 32 bytes, base64');
  const tag = (/** @type {string} */ purpose, /** @type {string} */ body) => createHmac('sha256', secret).update(`${purpose}.${body}`).digest();
  return {
    /** @param {string} purpose @param {Record<string, unknown> & { exp: number }} data */
    sign(purpose, data) {
      const body = Buffer.from(JSON.stringify(data)).toString('base64url');
      return `${body}.${tag(purpose, body).toString('base64url')}`;
    },
    /** @param {string} purpose @param {string | undefined} token @param {number} now @returns {any} */
    open(purpose, token, now) {
      const [body = '', mac = ''] = (token ?? '').split('.');
      const given = Buffer.from(mac, 'base64url');
      const expected = tag(purpose, body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      const data = JSON.parse(Buffer.from(body, 'base64url').toString());
      return data.exp > now ? data : null;
    },
  };
}

/** HttpOnly, SameSite=Lax, and Secure everywhere but on this machine. @param {Context} c */
export function cookieOptions(c) {
  const { hostname } = new URL(c.req.url);
  const local = hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
  return /** @type {const} */ ({ httpOnly: true, sameSite: 'Lax', secure: !local, path: '/' });
}

const SESSION = 'session';
/** The "trust this browser" token of mfakit's rememberDevice. */
export const DEVICE_COOKIE = 'trusted_device';
const SESSION_HOURS = { code: 0.25, enrol: 1, full: 12 };

/** @param {ReturnType<typeof createSigner>} signer @param {() => number} now */
export function createSessions(signer, now) {
  return {
    /** @param {Context} c @returns {Session | null} */
    get: (c) => signer.open(SESSION, getCookie(c, SESSION), now()),
    /** @param {Context} c @param {Omit<Session, 'exp'>} session */
    set(c, session) {
      const exp = now() + SESSION_HOURS[session.step] * 3_600_000;
      setCookie(c, SESSION, signer.sign(SESSION, { ...session, exp }), cookieOptions(c));
    },
    /** @param {Context} c */
    clear: (c) => { deleteCookie(c, SESSION, cookieOptions(c)); },
  };
}
