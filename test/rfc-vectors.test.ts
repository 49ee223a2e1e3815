import { describe, expect, it } from 'vitest';
import { generateHotp, generateTotp, timeStep, verifyHotp, verifyTotp } from '../src/index.js';
import { RFC4226_HOTP, RFC4226_SECRET, RFC6238_SECRETS, RFC6238_TOTP } from './vectors/rfc.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('RFC 4226 Appendix D', () => {
  RFC4226_HOTP.forEach((code, counter) => {
    it(`counter ${counter} → ${code}`, () => {
      expect(generateHotp(ascii(RFC4226_SECRET), counter)).toBe(code);
      expect(verifyHotp(ascii(RFC4226_SECRET), code, counter)).toEqual({ ok: true, counter, delta: 0 });
    });
  });
});

describe('RFC 6238 Appendix B', () => {
  for (const { time, algorithm, code } of RFC6238_TOTP) {
    it(`${algorithm} T=${time} → ${code}`, () => {
      const secret = ascii(RFC6238_SECRETS[algorithm]);
      const opts = { now: time * 1000, algorithm, digits: 8 } as const;
      expect(generateTotp(secret, opts)).toBe(code);
      expect(verifyTotp(secret, code, { ...opts, window: 0 })).toEqual({ ok: true, step: timeStep(time * 1000), delta: 0 });
    });
  }
});
