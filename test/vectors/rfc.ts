// Official test vectors, kept as data with their source.

/** RFC 4226 Appendix D: HOTP, SHA-1, secret "12345678901234567890" (ASCII), counters 0–9. */
export const RFC4226_SECRET = '12345678901234567890';
export const RFC4226_HOTP: readonly string[] = [
  '755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489',
];

/**
 * RFC 6238 Appendix B: TOTP, 8 digits, 30 s step, T0 = 0. The seeds are the
 * ASCII strings of Appendix A's reference code (20, 32 and 64 bytes).
 */
export const RFC6238_SECRETS = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
} as const;

export const RFC6238_TOTP: ReadonlyArray<{ time: number; algorithm: 'SHA1' | 'SHA256' | 'SHA512'; code: string }> = [
  { time: 59, algorithm: 'SHA1', code: '94287082' },
  { time: 59, algorithm: 'SHA256', code: '46119246' },
  { time: 59, algorithm: 'SHA512', code: '90693936' },
  { time: 1111111109, algorithm: 'SHA1', code: '07081804' },
  { time: 1111111109, algorithm: 'SHA256', code: '68084774' },
  { time: 1111111109, algorithm: 'SHA512', code: '25091201' },
  { time: 1111111111, algorithm: 'SHA1', code: '14050471' },
  { time: 1111111111, algorithm: 'SHA256', code: '67062674' },
  { time: 1111111111, algorithm: 'SHA512', code: '99943326' },
  { time: 1234567890, algorithm: 'SHA1', code: '89005924' },
  { time: 1234567890, algorithm: 'SHA256', code: '91819424' },
  { time: 1234567890, algorithm: 'SHA512', code: '93441116' },
  { time: 2000000000, algorithm: 'SHA1', code: '69279037' },
  { time: 2000000000, algorithm: 'SHA256', code: '90698825' },
  { time: 2000000000, algorithm: 'SHA512', code: '38618901' },
  { time: 20000000000, algorithm: 'SHA1', code: '65353130' },
  { time: 20000000000, algorithm: 'SHA256', code: '77737706' },
  { time: 20000000000, algorithm: 'SHA512', code: '47863826' },
];
