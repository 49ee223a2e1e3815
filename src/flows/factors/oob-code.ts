// E-mail/SMS validation codes (NIST SP 800-63B §5.1.3 out-of-band): 6 digits,
// 5 minutes, 5 tries, bound to user + purpose + destination, stored as digests.
import { constantTimeEqual } from '../../core/compare.js';
import { describe } from '../../internal/assert.js';
import { assertName, assertUserId } from '../../internal/ids.js';
import { randomString } from '../../internal/random.js';
import { formatCode, parseToken } from '../../internal/token.js';
import type { CodeAttempt, CodeRecord, OneTimeStore } from '../../store/types.js';
import type { Mfa, SendCodeOptions, VerifyCodeResult } from '../../types.js';
import { MISMATCH, runAttempt, type AttemptKind } from '../attempt.js';
import type { ResolvedConfig } from '../config.js';
import { digest } from '../digest.js';
import { requireCapability } from '../store.js';

const CODE_DIGITS = 6;
const CODE_TTL_MS = 300_000;
const CODE_ATTEMPTS = 5;
const CODE_COOLDOWN_MS = 60_000;

interface CodeInput {
  id: string;
  typed: string;
}

const codeId = (cfg: ResolvedConfig, userId: string, purpose: string, destination: string): string =>
  digest(cfg.pepper, 'mfakit/code-id', userId, purpose, destination);
const codeDigest = (cfg: ResolvedConfig, id: string, code: string): Uint8Array => ascii(digest(cfg.pepper, 'mfakit/code', id, code));

/** A code as an attempt kind: the store counts the try, the digest comparison is the check; the match is the code's id. */
function codeKind(cfg: ResolvedConfig, store: OneTimeStore): AttemptKind<CodeInput, CodeAttempt, string, true> {
  return {
    method: 'code',
    absent: 'expired',
    lost: 'expired',
    load: (userId, { id }, now) => store.beginCodeAttempt(userId, id, now, cfg.schedule),
    // A reservation comes with a code, so `code` is there whenever the check runs.
    check: (_userId, { code }, { id, typed }) => (constantTimeEqual(codeDigest(cfg, id, typed), ascii((code as CodeRecord).digest)) ? id : MISMATCH),
    // A right code gives its attempt back (and no more: whoever controls a
    // destination must not be able to reset the lock of the user's other factors).
    accept: async (userId, id) => ((await store.acceptCode(userId, id, cfg.schedule)) ? true : null),
  };
}

/** sendCode and verifyCode of {@link Mfa}. */
export function codeFlows(cfg: ResolvedConfig): { sendCode: Mfa['sendCode']; verifyCode: Mfa['verifyCode'] } {
  let kind: AttemptKind<CodeInput, CodeAttempt, string, true> | undefined;
  return {
    async sendCode(userId, opts) {
      assertUserId(userId);
      const { purpose, destination, send } = assertCodeOptions(opts, true);
      const store = requireCapability(cfg.store, 'oneTime', 'sendCode');
      const now = cfg.clock();
      const code = randomString(CODE_DIGITS, '0123456789', cfg.random);
      const id = codeId(cfg, userId, purpose, destination);
      const expiresAt = now + CODE_TTL_MS;
      const record = { id, userId, digest: digest(cfg.pepper, 'mfakit/code', id, code), createdAt: now, expiresAt, attemptsLeft: CODE_ATTEMPTS };
      const put = await store.putCode(record, CODE_COOLDOWN_MS);
      if (!put.ok) return { ok: false, reason: 'cooldown', retryAfterMs: Math.max(0, put.blockedSince + CODE_COOLDOWN_MS - now) };
      try {
        await send({ to: destination, code, purpose, expiresAt });
      } catch (err) {
        // Undelivered: withdraw it so the user can ask again at once.
        await store.deleteCode(userId, id).catch(() => false);
        throw err;
      }
      return { ok: true, expiresAt };
    },

    async verifyCode(userId, opts) {
      assertUserId(userId);
      const { purpose, destination } = assertCodeOptions(opts, false);
      const store = requireCapability(cfg.store, 'oneTime', 'verifyCode');
      const now = cfg.clock();
      const value = parseToken(opts.code, CODE_DIGITS);
      if (value < 0) return { ok: false, reason: 'malformed' };
      kind ??= codeKind(cfg, store);
      const input = { id: codeId(cfg, userId, purpose, destination), typed: formatCode(value, CODE_DIGITS) };
      const r = await runAttempt(cfg, kind, userId, input, now);
      if (r.ok) return { ok: true };
      if (r.failure.reason === 'mismatch') return { ok: false, reason: 'mismatch', attemptsLeft: r.loaded.code?.attemptsLeft ?? 0 };
      return r.failure as VerifyCodeResult;
    },
  };
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

function assertCodeOptions(options: unknown, needsSend: boolean): { purpose: string; destination: string; send: SendCodeOptions['send'] } {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
  const { purpose, destination, send } = options as Partial<SendCodeOptions>;
  assertName(purpose, 'purpose');
  assertName(destination, 'destination');
  if (needsSend && typeof send !== 'function') throw new TypeError(`send must be a function, got ${describe(send)}`);
  return { purpose, destination, send: send as SendCodeOptions['send'] };
}
