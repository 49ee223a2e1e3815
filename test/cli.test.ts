// The mfakit CLI, run as a child process from the build (dist/cli.js), as users run it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, createMfa, decodeSecret, generateTotp, parseOtpauthUri } from '../src/index.js';
import { RFC4226_HOTP, RFC6238_SECRETS, RFC6238_TOTP } from './vectors/rfc.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const PKG = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; bin: Record<string, string> };

/** base32 of the ASCII RFC keys, written out so the CLI is tested without our encoder. */
const RFC_BASE32 = {
  SHA1: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
  SHA256: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA',
  SHA512: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA',
} as const;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  lines: string[];
}

function mfakit(args: string[], input?: string): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input: input ?? '', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter((l) => l !== '') };
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` before the CLI tests');
});

describe('the package wiring', () => {
  it('bin.mfakit is dist/cli.js, an ES module with a node shebang', () => {
    expect(PKG.bin.mfakit).toBe('./dist/cli.js');
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('the RFC keys written out in base32 are the RFC 6238 seeds', () => {
    for (const alg of ['SHA1', 'SHA256', 'SHA512'] as const) {
      expect(decodeSecret(RFC_BASE32[alg])).toEqual(new TextEncoder().encode(RFC6238_SECRETS[alg]));
    }
  });
});

describe('help', () => {
  it('--help lists every command', () => {
    const r = mfakit(['--help']);
    expect(r.status).toBe(0);
    for (const name of ['secret', 'code', 'verify', 'uri', 'inspect', 'recovery-codes', 'keygen']) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it.each(['secret', 'code', 'verify', 'uri', 'inspect', 'recovery-codes', 'keygen'])('%s --help, -h and help %s', (name) => {
    for (const args of [[name, '--help'], [name, '-h'], ['help', name]]) {
      const r = mfakit(args);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.lines[0]).toMatch(new RegExp(`^Usage: mfakit ${name}\\b`));
      expect(r.stdout).toContain('--help');
    }
  });

  it('--version prints the package version', () => {
    expect(mfakit(['--version']).stdout.trim()).toBe(PKG.version);
  });
});

describe('secret', () => {
  it('prints 20 random bytes as base32; --bytes changes the length', () => {
    const a = mfakit(['secret']);
    const b = mfakit(['secret']);
    expect(a.status).toBe(0);
    expect(a.lines).toHaveLength(1);
    expect(a.lines[0]).toMatch(/^[A-Z2-7]{32}$/);
    expect(b.lines[0]).not.toBe(a.lines[0]);
    expect(mfakit(['secret', '--bytes', '32']).lines[0]).toMatch(/^[A-Z2-7]{52}$/);
  });
});

describe('code', () => {
  it.each(RFC6238_TOTP)('RFC 6238 Appendix B: $algorithm T=$time → $code', ({ time, algorithm, code }) => {
    const r = mfakit(['code', RFC_BASE32[algorithm], '--time', String(time), '--digits', '8', '--algorithm', algorithm]);
    expect(r.status).toBe(0);
    expect(r.lines.at(-1)).toBe(code);
  });

  it('RFC 4226 Appendix D with --counter', () => {
    RFC4226_HOTP.forEach((code, counter) => {
      expect(mfakit(['code', RFC_BASE32.SHA1, '--counter', String(counter)]).lines.at(-1)).toBe(code);
    });
  });

  it('without --time it is the code of now', () => {
    const before = generateTotp(RFC_BASE32.SHA1);
    const r = mfakit(['code', RFC_BASE32.SHA1]);
    const after = generateTotp(RFC_BASE32.SHA1);
    expect([before, after]).toContain(r.lines.at(-1));
  });

  it('--period, lower-case algorithm and a typed secret', () => {
    const r = mfakit(['code', 'gezd gnbv gy3t qojq gezd gnbv gy3t qojq', '--time', '119', '--period', '60', '--algorithm', 'sha1']);
    expect(r.lines.at(-1)).toBe(generateTotp(RFC_BASE32.SHA1, { now: 119_000, period: 60 }));
  });

  it('a secret of "-" is read from standard input', () => {
    expect(mfakit(['code', '-', '--time', '59', '--digits', '8'], `${RFC_BASE32.SHA1}\n`).lines.at(-1)).toBe('94287082');
  });

  it('a legacy 10-byte secret is computed with, and a warning goes to stderr', () => {
    const r = mfakit(['code', 'JBSWY3DPEHPK3PXP', '--time', '59']);
    expect(r.status).toBe(0);
    // oathtool --totp --base32 JBSWY3DPEHPK3PXP --now '1970-01-01 00:00:59 UTC'
    expect(r.stdout).toBe('996554\n');
    expect(r.stderr).toMatch(/^mfakit: warning: the secret is 10 bytes, under the 16 that RFC 4226 §4 \(R6\) asks for/);
    expect(mfakit(['code', RFC_BASE32.SHA1, '--time', '59']).stderr).toBe('');
  });
});

describe('verify', () => {
  it('exit 0 and the step for a good code', () => {
    const r = mfakit(['verify', RFC_BASE32.SHA1, '94287082', '--time', '59', '--digits', '8']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('ok: step 1 (delta 0)\n');
  });

  it('the ±1 window and --window 0', () => {
    expect(mfakit(['verify', RFC_BASE32.SHA1, '94287082', '--time', '89', '--digits', '8']).stdout).toBe('ok: step 1 (delta -1)\n');
    const r = mfakit(['verify', RFC_BASE32.SHA1, '94287082', '--time', '89', '--digits', '8', '--window', '0']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("mismatch: matches 1 step behind: the phone's clock is ~30 s slow (or the code was typed late)\n");
  });

  it('exit 1 for a wrong code and for a malformed one, with the reason', () => {
    const wrong = mfakit(['verify', RFC_BASE32.SHA1, '94287083', '--time', '59', '--digits', '8']);
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toBe('mismatch: no step within 2 hours either side matches; check the secret, --algorithm, --digits and --period\n');
    const malformed = mfakit(['verify', RFC_BASE32.SHA1, '١٢٣٤٥٦', '--time', '59']);
    expect(malformed.status).toBe(1);
    expect(malformed.stdout).toBe('malformed: expected 6 digits, got a character that is not a digit 0-9 at position 1\n');
    expect(malformed.stderr).toBe('');
  });

  it('HOTP with --counter and a look-ahead --window', () => {
    const r = mfakit(['verify', RFC_BASE32.SHA1, RFC4226_HOTP[3] as string, '--counter', '1', '--window', '5']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('ok: counter 3 (delta +2); the next counter is 4\n');
    expect(mfakit(['verify', RFC_BASE32.SHA1, RFC4226_HOTP[3] as string, '--counter', '1']).status).toBe(1);
  });
});

describe('uri', () => {
  it('prints a QR code, then the URI alone on the last line', () => {
    const r = mfakit(['uri', '--issuer', 'ACME Co', '--account', 'jane@example.com', '--secret', RFC_BASE32.SHA1]);
    expect(r.status).toBe(0);
    expect(r.lines.at(-1)).toBe(`otpauth://totp/ACME%20Co:jane%40example.com?secret=${RFC_BASE32.SHA1}&issuer=ACME%20Co`);
    const qr = r.lines.slice(0, -1);
    expect(qr.length).toBeGreaterThan(10);
    for (const line of qr) expect(line).toMatch(/^[ █▀▄]+$/);
  });

  it('generates a secret when none is given; --no-qr prints the URI only', () => {
    const r = mfakit(['uri', '--issuer', 'ACME', '--account', 'jane', '--no-qr']);
    expect(r.lines).toHaveLength(1);
    const parsed = parseOtpauthUri(r.lines[0] as string);
    expect(parsed).toMatchObject({ issuer: 'ACME', account: 'jane', type: 'totp' });
    expect(parsed.secret).toMatch(/^[A-Z2-7]{32}$/);
  });

  it('writes non-default options', () => {
    const r = mfakit(['uri', '--account', 'jane', '--secret', RFC_BASE32.SHA1, '--digits', '8', '--period', '60', '--algorithm', 'SHA256', '--no-qr']);
    expect(parseOtpauthUri(r.lines[0] as string)).toMatchObject({ digits: 8, period: 60, algorithm: 'SHA256' });
  });
});

describe('inspect', () => {
  it('prints every field and the code at --time', () => {
    const r = mfakit(['inspect', `otpauth://totp/ACME:jane?secret=${RFC_BASE32.SHA1}&issuer=ACME&digits=8`, '--time', '59']);
    expect(r.status).toBe(0);
    expect(r.lines).toEqual([
      'type:      totp',
      'issuer:    ACME',
      'account:   jane',
      `secret:    ${RFC_BASE32.SHA1}`,
      'algorithm: SHA1',
      'digits:    8',
      'period:    30',
      'step:      1',
      'code:      94287082',
    ]);
  });

  it('a label prefix that differs from the issuer is shown; a weak secret is warned about on stderr', () => {
    const r = mfakit(['inspect', 'otpauth://totp/Some+Company%3ame%40example.net?secret=JBSWY3DPEHPK3PXP&issuer=Microsoft', '--time', '59']);
    expect(r.status).toBe(0);
    expect(r.lines.slice(0, 4)).toEqual(['type:      totp', 'issuer:    Microsoft', 'label:     Some Company (label prefix; the issuer parameter wins)', 'account:   me@example.net']);
    expect(r.lines.at(-1)).toBe('code:      996554'); // oathtool --totp --base32 JBSWY3DPEHPK3PXP --now '1970-01-01 00:00:59 UTC'
    expect(r.stderr).toMatch(/^mfakit: warning: the secret is 10 bytes/);
  });

  it('a Google Authenticator export lists every account', () => {
    // Two accounts: ACME:jane (20-byte RFC key, TOTP) and a 10-byte HOTP key at counter 1, batch 1 of 1.
    const bytes = [
      0x0a, 0x2d, 0x0a, 0x14, ...new TextEncoder().encode('12345678901234567890'), 0x12, 0x09, ...new TextEncoder().encode('ACME:jane'),
      0x1a, 0x04, ...new TextEncoder().encode('ACME'), 0x20, 0x01, 0x28, 0x01, 0x30, 0x02,
      0x0a, 0x14, 0x0a, 0x0a, ...new TextEncoder().encode('Hello!'), 0xde, 0xad, 0xbe, 0xef, 0x12, 0x02, 0x6a, 0x6f, 0x30, 0x01, 0x38, 0x01,
      0x18, 0x01,
    ];
    const uri = `otpauth-migration://offline?data=${encodeURIComponent(btoa(String.fromCharCode(...bytes)))}`;
    const r = mfakit(['inspect', uri, '--time', '59']);
    expect(r.status).toBe(0);
    expect(r.lines[0]).toBe('export:    QR code 1 of 1, 2 accounts');
    expect(r.lines).toContain('account 1:');
    expect(r.lines).toContain('account 2:');
    expect(r.lines).toContain('issuer:    ACME');
    // oathtool --totp 3132333435363738393031323334353637383930 --now '1970-01-01 00:00:59 UTC' → 287082;
    // oathtool --hotp 48656c6c6f21deadbeef -c 1 → 996554.
    expect(r.lines.filter((l) => l.startsWith('code:'))).toEqual(['code:      287082', 'code:      996554']);
    expect(r.stderr).toMatch(/warning: the secret is 10 bytes/);
  });

  it('a HOTP URI shows its counter and code', () => {
    const r = mfakit(['inspect', `otpauth://hotp/jane?secret=${RFC_BASE32.SHA1}&counter=2`]);
    expect(r.lines).toContain('counter:   2');
    expect(r.lines.at(-1)).toBe(`code:      ${RFC4226_HOTP[2]}`);
  });
});

describe('recovery-codes', () => {
  it('prints 10 codes, or --count of them', () => {
    const r = mfakit(['recovery-codes']);
    expect(r.status).toBe(0);
    expect(r.lines).toHaveLength(10);
    for (const line of r.lines) expect(line).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$/);
    expect(new Set(r.lines).size).toBe(10);
    expect(mfakit(['recovery-codes', '--count', '3']).lines).toHaveLength(3);
  });
});

/** oathtool (Debian's oathtool package), the reference the CLI is compared with; CI installs it (.ci/run). */
const OATHTOOL = spawnSync('oathtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!OATHTOOL && process.env.CI) throw new Error('oathtool is missing: .ci/run installs it (apt-get install oathtool)');
const withOathtool = OATHTOOL ? describe : describe.skip;

function oathtool(args: string[]): string {
  const r = spawnSync('oathtool', args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`oathtool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** oathtool's --now takes a date; ours takes the same instant as Unix seconds. */
const utc = (seconds: number): string => new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

withOathtool('the same codes as oathtool', () => {
  it('TOTP with --hex keys: random keys, times, digits and hashes', () => {
    for (let i = 0; i < 12; i++) {
      const hex = randomBytes(10 + i * 3).toString('hex');
      const time = 1_000_000_000 + i * 98_765_431;
      const digits = 6 + (i % 3);
      const [ours, theirs] = [['SHA1', 'sha1'], ['SHA256', 'sha256'], ['SHA512', 'sha512']][i % 3] as [string, string];
      const r = mfakit(['code', hex, '--hex', '--time', String(time), '--digits', String(digits), '--algorithm', ours]);
      expect(r.status).toBe(0);
      expect(r.lines.at(-1)).toBe(oathtool([`--totp=${theirs}`, '-d', String(digits), '--now', utc(time), hex]));
    }
  });

  it('HOTP with --hex keys, up to the last counter there is (2^64-1)', () => {
    const hex = randomBytes(20).toString('hex');
    for (const counter of ['0', '1', '4294967296', '9007199254740993', '18446744073709551615']) {
      expect(mfakit(['code', hex, '--hex', '--counter', counter]).lines.at(-1)).toBe(oathtool(['--hotp', '-c', counter, hex]));
    }
  });

  it('the three forms of --time name the same instant as oathtool --now', () => {
    const hex = randomBytes(20).toString('hex');
    const expected = oathtool(['--totp', '--now', '2023-11-14 22:13:20 UTC', hex]);
    for (const time of ['1700000000', '1700000000000', '2023-11-14T22:13:20Z', '2023-11-14 22:13:20', '2023-11-14T23:13:20+01:00']) {
      expect(mfakit(['code', hex, '--hex', '--time', time]).lines.at(-1)).toBe(expected);
    }
  });

  it('verify accepts what oathtool generates and says how far off a code from another time is', () => {
    const hex = randomBytes(20).toString('hex');
    const code = oathtool(['--totp', '--now', utc(1_700_000_090), hex]);
    expect(mfakit(['verify', hex, code, '--hex', '--time', '1700000090']).stdout).toBe(`ok: step ${Math.floor(1_700_000_090 / 30)} (delta 0)\n`);
    const r = mfakit(['verify', hex, code, '--hex', '--time', '1700000000']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("mismatch: matches 3 steps ahead: the phone's clock is ~90 s fast\n");
  });
});

describe('--time', () => {
  it('a 13-digit value is read as milliseconds, with a note on stderr', () => {
    const r = mfakit(['code', RFC_BASE32.SHA1, '--time', '59000', '--digits', '8']);
    expect(r.lines.at(-1)).not.toBe('94287082'); // 59000 is seconds: 12 digits are needed for ms
    const ms = mfakit(['code', RFC_BASE32.SHA1, '--time', '1111111109000', '--digits', '8']);
    expect(ms.lines.at(-1)).toBe('07081804'); // RFC 6238 Appendix B, T = 1111111109
    expect(ms.stderr).toBe('mfakit: note: --time 1111111109000 was read as milliseconds (2005-03-18T01:58:29.000Z)\n');
    expect(mfakit(['code', RFC_BASE32.SHA1, '--time', '1111111109', '--digits', '8']).stderr).toBe('');
  });

  it('an ISO-8601 date, with or without a time of day and offset (UTC when it has none)', () => {
    const code = (time: string): string | undefined => mfakit(['code', RFC_BASE32.SHA1, '--time', time, '--digits', '8']).lines.at(-1);
    expect(code('2005-03-18T01:58:29Z')).toBe('07081804');
    expect(code('2005-03-18T01:58:29')).toBe('07081804');
    expect(code('2005-03-18T03:58:29.5+02:00')).toBe('07081804');
    expect(code('2005-03-18t01:58:29z')).toBe('07081804');
    expect(code('2033-05-18')).toBe(generateTotp(RFC_BASE32.SHA1, { now: Date.UTC(2033, 4, 18), digits: 8 }));
  });

  it('inspect takes the same forms', () => {
    const r = mfakit(['inspect', `otpauth://totp/ACME:jane?secret=${RFC_BASE32.SHA1}&digits=8`, '--time', '2005-03-18T01:58:29Z']);
    expect(r.lines.at(-1)).toBe('code:      07081804');
  });
});

describe('verify explains a code that does not verify', () => {
  const S = RFC_BASE32.SHA1;
  // RFC 6238 Appendix B: 94287082 is the SHA1 code of step 1 (T = 59 s).
  it.each<[string, string]>([
    ['149', "matches 3 steps behind: the phone's clock is ~90 s slow (or the code was typed late)"],
    ['3659', "matches 120 steps behind: the phone's clock is ~60 min slow (or the code was typed late)"],
  ])('at --time %s: %s', (time, message) => {
    const r = mfakit(['verify', S, '94287082', '--time', time, '--digits', '8']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`mismatch: ${message}\n`);
  });

  it('a code from the phone ahead of the server', () => {
    const code = generateTotp(S, { now: 1_700_000_000_000 + 5 * 60_000 });
    expect(mfakit(['verify', S, code, '--time', '1700000000']).stdout).toBe("mismatch: matches 10 steps ahead: the phone's clock is ~5 min fast\n");
    // Inside a wider --window it verifies.
    expect(mfakit(['verify', S, code, '--time', '1700000000', '--window', '10']).stdout).toBe(`ok: step ${56_666_676} (delta +10)\n`);
  });

  it('malformed says what was expected, without repeating the code', () => {
    for (const [code, digits, message] of [
      ['28708', '6', 'expected 6 digits, got 5'],
      ['2870822', '6', 'expected 6 digits, got 7'],
      ['287 08', '6', 'expected 6 digits, got 5'],
      ['94287082', '6', 'expected 6 digits, got 8'],
      ['287082', '8', 'expected 8 digits, got 6'],
      ['28a082', '6', 'expected 6 digits, got a character that is not a digit 0-9 at position 3'],
    ] as const) {
      const r = mfakit(['verify', S, code, '--time', '59', '--digits', digits]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe(`malformed: ${message}\n`);
    }
  });

  it('HOTP: a counter ahead of the look-ahead, or one already used', () => {
    const ahead = mfakit(['verify', S, RFC4226_HOTP[7] as string, '--counter', '1']);
    expect(ahead.status).toBe(1);
    expect(ahead.stdout).toBe('mismatch: matches counter 7, 6 ahead: the token was used 6 times without a sign-in (--window 6 accepts it)\n');
    expect(mfakit(['verify', S, RFC4226_HOTP[7] as string, '--counter', '1', '--window', '6']).status).toBe(0);
    expect(mfakit(['verify', S, RFC4226_HOTP[1] as string, '--counter', '5']).stdout).toBe('mismatch: matches counter 1, 4 behind: a code that was already used\n');
    expect(mfakit(['verify', S, '000000', '--counter', '5']).stdout).toMatch(/^mismatch: no counter within 100 of 5 matches/);
  });
});

describe('keygen', () => {
  it('prints a key-ring entry and pepper that createMfa takes, and the same as environment lines', async () => {
    const r = mfakit(['keygen', '--id', 'k2024']);
    expect(r.status).toBe(0);
    const ring = /^secretKeys: \{ current: 'k2024', keys: \{ 'k2024': '([A-Za-z0-9+/]{43}=)' \} \},$/m.exec(r.stdout);
    const pepper = /^pepper: '([A-Za-z0-9+/]{43}=)',$/m.exec(r.stdout);
    expect(ring).not.toBeNull();
    expect(pepper).not.toBeNull();
    const key = ring?.[1] as string;
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(r.lines).toContain('MFAKIT_SECRET_KEY_ID=k2024');
    expect(r.lines).toContain(`MFAKIT_SECRET_KEY=${key}`);
    expect(r.lines).toContain(`MFAKIT_PEPPER=${pepper?.[1]}`);
    const mfa = createMfa({ store: createMemoryStore(), issuer: 'ACME', secretKeys: { current: 'k2024', keys: { k2024: key } }, pepper: pepper?.[1] as string });
    const enrolment = await mfa.beginEnrollment('u1', { account: 'jane' });
    expect(parseOtpauthUri(enrolment.uri).issuer).toBe('ACME');
    const again = mfakit(['keygen']);
    expect(again.stdout).not.toContain(key);
    expect(again.stdout).toMatch(/current: 'key-\d{8}'/);
  });
});

describe('bad arguments: one line on stderr, nothing on stdout, exit code 2', () => {
  const S = RFC_BASE32.SHA1;
  it.each<[string, string[], RegExp]>([
    ['no command', [], /missing command/],
    ['unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['help for an unknown command', ['help', 'constructor'], /unknown command "constructor"/],
    ['a secret where the command goes', ['GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'], /^mfakit: unknown command \(try/],
    ['unknown option', ['code', S, '--frob'], /^mfakit: unknown option --frob \(try "mfakit code --help"\)\n$/],
    ['an option of another command', ['code', S, '--no-qr'], /unknown option --no-qr/],
    ['option without its value', ['code', S, '--time'], /^mfakit: --time needs a value \(try "mfakit code --help"\)\n$/],
    ['a value for a flag', ['uri', '--account', 'a', '--no-qr=yes'], /--no-qr takes no value/],
    ['an option twice', ['code', S, '--digits', '6', '--digits', '8'], /--digits is given twice/],
    ['missing secret', ['code'], /missing <secret>/],
    ['missing code', ['verify', S], /missing <code>/],
    ['too many arguments', ['code', S, 'extra'], /too many arguments/],
    ['digits out of range', ['code', S, '--digits', '5'], /digits must be between 6 and 10/],
    ['digits not a number', ['code', S, '--digits', 'six'], /--digits must be a whole number/],
    ['negative time', ['code', S, '--time=-5'], /--time must not be negative \(Unix seconds, milliseconds or an ISO-8601 date/],
    ['negative time as its own argument', ['code', S, '--time', '-5'], /^mfakit: --time must not be negative/],
    ['time not a number', ['code', S, '--time', 'noon'], /--time must be Unix seconds, milliseconds or an ISO-8601 date, e\.g\. 1700000000/],
    ['a date that does not exist', ['code', S, '--time', '2023-02-30'], /--time is not a valid date/],
    ['a time of day that does not exist', ['code', S, '--time', '2023-02-01T24:00:00Z'], /--time is not a valid date/],
    ['a date before 1970', ['code', S, '--time', '1969-12-31'], /--time must not be before 1970/],
    ['--time with --counter (code)', ['code', S, '--time', '59', '--counter', '1'], /--time and --counter cannot be used together/],
    ['--time with --counter (verify)', ['verify', S, '123456', '--counter', '1', '--time', '59'], /--time and --counter cannot be used together/],
    ['--period with --counter', ['code', S, '--period', '60', '--counter', '1'], /--period and --counter cannot be used together/],
    ['counter past 2^64-1', ['code', S, '--counter', '18446744073709551616'], /--counter must be at most 2\^64-1/],
    ['counter not a number', ['code', S, '--counter', '-1'], /--counter must be a whole number/],
    ['unknown algorithm', ['code', S, '--algorithm', 'MD5'], /--algorithm must be SHA1, SHA256, SHA512, SHA224, SHA384, SHA3-256 or SHA3-512/],
    ['odd hex secret', ['code', '313', '--hex'], /the secret has 3 hex digits, which is not a whole number of bytes/],
    ['not hex, 1-based position', ['code', '31g2', '--hex'], /the secret contains 'g' \(U\+0067\) at position 3, which is not hexadecimal/],
    ['--hex without --secret', ['uri', '--account', 'a', '--hex'], /--hex needs --secret/],
    ['bad key id', ['keygen', '--id', 'a b'], /--id must be 1-64 characters/],
    ['period zero', ['code', S, '--period', '0'], /period must be between/],
    ['not base32', ['code', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1'], /secret contains '1'/],
    ['window too wide', ['verify', S, '123456', '--window', '11'], /window must be between 0 and 10/],
    ['uri without account', ['uri', '--issuer', 'ACME'], /--account is required/],
    ['colon in the account', ['uri', '--account', 'a:b', '--no-qr'], /account must not contain a colon/],
    ['broken otpauth URI', ['inspect', 'https://example.com'], /invalid otpauth URI/],
    ['inspect without a URI', ['inspect'], /missing <uri>/],
    ['truncated export', ['inspect', 'otpauth-migration://offline?data=CgQKAA'], /invalid otpauth-migration URI: the data is truncated/],
    ['zero recovery codes', ['recovery-codes', '--count', '0'], /count must be between 1 and 100/],
    ['short generated secret', ['secret', '--bytes', '8'], /bytes must be between 16 and 1024/],
    ['empty standard input', ['code', '-'], /no secret on standard input/],
  ])('%s', (_name, args, message) => {
    const r = mfakit(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mfakit: /);
    expect(r.stderr).toMatch(message);
  });

  it('errors never repeat the secret or the code', () => {
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1';
    expect(mfakit(['code', secret]).stderr).not.toContain('GEZDGNBV');
    expect(mfakit(['verify', RFC_BASE32.SHA1, '123456', '654321']).stderr).not.toMatch(/123456|654321|GEZDGNBV/);
    const broken = mfakit(['inspect', `otpauth://totp/A:b?secret=${secret}&issuer=C`]);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain("'1' (U+0031) at position 32");
    expect(broken.stderr).not.toContain('GEZDGNBV');
  });
});
