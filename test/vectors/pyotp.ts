// Vectors from pyauth/pyotp, test.py (at commit cc15683), transcribed as data.
// Several secrets are shorter than 16 bytes; pyotp computes with them and so do we.

type Alg = 'SHA1' | 'SHA256' | 'SHA512';

/** HOTPExampleValuesFromTheRFC.test_other_secret and DigestFunctionTest.test_algorithms (hotp). */
export const PYOTP_HOTP: ReadonlyArray<{ secret: string; counter: number; code: string; algorithm?: Alg }> = [
  { secret: 'N3OVNIBRERIO5OHGVCMDGS4V4RJ3AUZOUN34J6FRM4P6JIFCG3ZA', counter: 0, code: '737863' },
  { secret: 'N3OVNIBRERIO5OHGVCMDGS4V4RJ3AUZOUN34J6FRM4P6JIFCG3ZA', counter: 1, code: '390601' },
  { secret: 'N3OVNIBRERIO5OHGVCMDGS4V4RJ3AUZOUN34J6FRM4P6JIFCG3ZA', counter: 2, code: '363354' },
  { secret: 'N3OVNIBRERIO5OHGVCMDGS4V4RJ3AUZOUN34J6FRM4P6JIFCG3ZA', counter: 3, code: '936780' },
  { secret: 'N3OVNIBRERIO5OHGVCMDGS4V4RJ3AUZOUN34J6FRM4P6JIFCG3ZA', counter: 4, code: '654019' },
  { secret: 'GEZDGNBV', counter: 0, code: '734055' },
  { secret: 'GEZDGNBV', counter: 1, code: '662488' },
  { secret: 'GEZDGNBV', counter: 2, code: '289363' },
];

/**
 * TOTPExampleValuesFromTheRFC (test_match_rfc with the times RFC 6238 does not list,
 * test_match_rfc_digit_length, test_match_google_authenticator_output) and
 * DigestFunctionTest.test_algorithms (totp). `time` is in seconds.
 */
export const PYOTP_TOTP: ReadonlyArray<{ secret: string; time: number; code: string; algorithm?: Alg; period?: number }> = [
  { secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', time: 2000000000, code: '69279037' },
  { secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA', time: 2000000000, code: '90698825', algorithm: 'SHA256' },
  {
    secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA',
    time: 1234567890,
    code: '93441116',
    algorithm: 'SHA512',
  },
  {
    secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA',
    time: 2000000000,
    code: '38618901',
    algorithm: 'SHA512',
  },
  { secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', time: 1111111111, code: '050471' },
  { secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', time: 1234567890, code: '005924' },
  { secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', time: 2000000000, code: '279037' },
  { secret: 'wrn3pqx5uqxqvnqr', time: 1297553958, code: '102705' },
  { secret: 'GEZDGNBV', time: 0, code: '734055' },
  { secret: 'GEZDGNBV', time: 30, code: '662488' },
  { secret: 'GEZDGNBV', time: 60, code: '289363' },
  { secret: 'GEZDGNBV', time: 30, code: '734055', period: 60 },
  { secret: 'GEZDGNBV', time: 60, code: '662488', period: 60 },
  { secret: 'GEZDGNBV', time: 0, code: '918961', algorithm: 'SHA256' },
  { secret: 'GEZDGNBV', time: 9000, code: '934470', algorithm: 'SHA256' },
  { secret: 'GEZDGNBV', time: 0, code: '816660', algorithm: 'SHA512' },
  { secret: 'GEZDGNBV', time: 9000, code: '524153', algorithm: 'SHA512' },
];

/** ValidWindowTest and GetTimeCodeTest: "ABCDEFGH" at t = 200 s (step 6), window 1. */
export const PYOTP_WINDOW = {
  secret: 'ABCDEFGH',
  time: 200,
  accepted: [
    { code: '451564', step: 5 },
    { code: '028307', step: 6 },
    { code: '681610', step: 7 },
  ],
  refused: '195979',
} as const;
