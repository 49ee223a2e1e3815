// Keys and the mfakit instance. Development keys are made on the first run and
// kept in the data folder; production sets MFA_KEY, MFA_PEPPER and COOKIE_KEY.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMfa } from 'mfakit';
import { webauthn } from 'mfakit/webauthn';

/**
 * @typedef {{ mfaKey: string, pepper: string, cookieKey: string }} Keys
 * @typedef {import('mfakit').MfaStore} MfaStore
 */

/**
 * @param {string} dataDir
 * @param {Record<string, string | undefined>} env
 * @returns {Keys}
 */
export function loadKeys(dataDir, env) {
  const { MFA_KEY, MFA_PEPPER, COOKIE_KEY } = env;
  if (MFA_KEY && MFA_PEPPER && COOKIE_KEY) return { mfaKey: MFA_KEY, pepper: MFA_PEPPER, cookieKey: COOKIE_KEY };
  const file = join(dataDir, 'dev-keys.json');
  if (!existsSync(file)) {
    const key = () => randomBytes(32).toString('base64');
    writeFileSync(file, `${JSON.stringify({ mfaKey: key(), pepper: key(), cookieKey: key() }, null, 2)}\n`, { mode: 0o600 });
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * @param {{
 *   store: MfaStore,
 *   keys: Keys,
 *   policy: () => Promise<import('./db.js').Policy>,
 *   now: () => number,
 *   log: (line: string) => void,
 *   origin: string,
 * }} opts - `origin`: where the pages are served, which passkeys are bound to
 */
export function createAppMfa({ store, keys, policy, now, log, origin }) {
  return createMfa({
    store,
    issuer: 'mfakit demo',
    secretKeys: { current: 'k1', keys: { k1: keys.mfaKey } },
    pepper: keys.pepper,
    recoveryCodes: { viewable: true },
    // Passkeys belong to a site: its host name is the relying-party id.
    passkeys: webauthn({ rpId: new URL(origin).hostname, rpName: 'mfakit demo', origins: [origin] }),
    policy: {
      // The administrator's switch, read on each check; a grace period starts when it is turned on.
      required: async () => {
        const { required, graceEndsAt } = await policy();
        return required && graceEndsAt !== null ? { graceEndsAt } : required;
      },
    },
    now,
    // Events never carry a secret, a code, a token or a destination: safe to log as they are.
    onEvent: (event) => log(`mfa ${JSON.stringify(event)}`),
  });
}
