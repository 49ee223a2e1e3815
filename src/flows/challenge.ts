// The pending second step of an API sign-in: a token handed out after the
// password, spent with a code. The challenge is the one record addressed by its
// id alone; it names the user, whose factors are checked when it is used.
import { assertUserId } from '../internal/ids.js';
import { fillRandom } from '../internal/random.js';
import type { Mfa } from '../types.js';
import type { ResolvedConfig } from './config.js';
import { digest } from './digest.js';
import { toBase64Url } from './secrets.js';
import { isSignInAnswer, type SignIn } from './sign-in.js';
import { requireCapability } from './store.js';

const CHALLENGE_TTL_MS = 300_000;
const CHALLENGE_ATTEMPTS = 5;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** createChallenge and verifyChallenge of {@link Mfa}. */
export function challengeFlows(cfg: ResolvedConfig, signIn: SignIn): Pick<Mfa, 'createChallenge' | 'verifyChallenge'> {
  const challengeId = (token: string): string => digest(cfg.pepper, 'mfakit/challenge-id', token);
  return {
    async createChallenge(userId) {
      assertUserId(userId);
      const store = requireCapability(cfg.store, 'oneTime', 'createChallenge');
      const now = cfg.clock();
      const bytes = new Uint8Array(32);
      fillRandom(bytes, cfg.random);
      const token = toBase64Url(bytes);
      bytes.fill(0);
      const expiresAt = now + CHALLENGE_TTL_MS;
      await store.putChallenge({ id: challengeId(token), userId, createdAt: now, expiresAt, attemptsLeft: CHALLENGE_ATTEMPTS });
      return { token, expiresAt };
    },

    async verifyChallenge(token, code) {
      const store = requireCapability(cfg.store, 'oneTime', 'verifyChallenge');
      const now = cfg.clock();
      if (typeof token !== 'string' || !TOKEN_SHAPE.test(token) || !isSignInAnswer(cfg, code)) return { ok: false, reason: 'malformed' };
      const id = challengeId(token);
      // One try of the token is spent in one step, so concurrent codes cannot multiply its tries.
      const challenge = await store.spendChallenge(id, now);
      if (challenge === null) return { ok: false, reason: 'expired' };
      const { userId } = challenge;
      const r = await signIn(userId, code, now);
      if (r.ok) {
        // Consumed exactly once: of two right codes racing on one token, only one signs in.
        return (await store.deleteChallenge(id)) ? { ...r, userId } : { ok: false, reason: 'expired' };
      }
      // A token that can never succeed goes at once. (One out of tries stays until it
      // expires: deleting it here could beat a concurrent right code to its consumption.)
      if (r.reason === 'not-enrolled' || r.reason === 'suspended') await store.deleteChallenge(id).catch(() => false);
      return r;
    },
  };
}
