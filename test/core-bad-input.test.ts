// A bad-input table run through every public core function (after noble-hashes' TYPE_TEST).
// End-user input (tokens, recovery codes, URIs) gets a result or one documented domain error;
// caller mistakes throw TypeError/RangeError naming the parameter; nothing crashes otherwise.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildOtpauthUri,
  constantTimeEqual,
  decodeSecret,
  encodeSecret,
  generateHotp,
  generateRecoveryCodes,
  generateSecret,
  generateTotp,
  hashRecoveryCode,
  isMfaError,
  MfaError,
  normalizeRecoveryCode,
  parseOtpauthUri,
  timeStep,
  verifyHotp,
  verifyTotp,
} from '../src/index.js';

const KEY = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
// A string that must never be echoed in an error message.
const SENTINEL = 'JBSWY3DPEHPK3PXPSENTINEL';

/** What end users type that is not a code. Every one is `malformed` for 6 and for 8 digits. */
const BAD_TOKENS: Array<[string, unknown]> = [
  ['empty', ''],
  ['spaces only', '   '],
  ['Arabic-Indic digits', '١٢٣٤٥٦'],
  ['Extended Arabic-Indic digits', '۱۲۳۴۵۶'],
  ['Devanagari digits', '१२३४५६'],
  ['fullwidth digits', '１２３４５６'],
  ['fullwidth mixed in', '１2345６'],
  ['accented letter', '12345é'],
  ['NUL inside', '123\u000456'],
  ['NUL at the end', '123456\u0000'],
  ['too few digits', '12345'],
  ['too many for 6, too few for 8', '1234567'],
  ['letter', '12345a'],
  ['sign', '+12345'],
  ['negative', '-12345'],
  ['exponent', '1e5'],
  ['decimal point', '12.345'],
  ['hex', '0x1234'],
  ['dash separator', '123-456'],
  ['zero-width space', '123\u200b456'],
  ['huge string', 'x'.repeat(1_000_000)],
  ['huge digits', '1'.repeat(1_000_000)],
  ['just over the read limit', '1 2 3 4 5 6 '.repeat(6)],
  ['number', 123456],
  ['bigint', 123456n],
  ['String object', new String('123456')],
  ['null', null],
  ['undefined', undefined],
  ['object', {}],
  ['array', ['1', '2', '3', '4', '5', '6']],
  ['bytes', new Uint8Array([0x31, 0x32, 0x33, 0x34, 0x35, 0x36])],
  ['symbol', Symbol('123456')],
];

describe('verify*: a bad token is { ok: false, reason: "malformed" }, never an exception', () => {
  for (const digits of [6, 8]) {
    it.each(BAD_TOKENS)(`${digits} digits: %s`, (_name, token) => {
      const malformed = { ok: false, reason: 'malformed' };
      expect(verifyTotp(KEY, token as string, { now: 59_000, digits })).toEqual(malformed);
      expect(verifyTotp(KEY, token as string, { now: 59_000, digits, window: { past: 10, future: 10 }, afterStep: 5 })).toEqual(malformed);
      expect(verifyHotp(KEY, token as string, 0, { digits, lookAhead: 100 })).toEqual(malformed);
    });
  }

  it('any value as a token gives a result (fast-check anything)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string({ unit: 'binary' }), fc.stringMatching(/^[0-9 ]{0,20}$/)), (token) => {
        const t = verifyTotp(KEY, token as string, { now: 1_700_000_000_000 });
        const h = verifyHotp(KEY, token as string, 7);
        expect(['malformed', 'mismatch', undefined]).toContain(t.ok ? undefined : t.reason);
        expect(['malformed', 'mismatch', undefined]).toContain(h.ok ? undefined : h.reason);
      }),
      { numRuns: 1000 },
    );
  });
});

type Call = () => unknown;
/** [function call, the error class it must throw, the parameter its message must name] */
type CallerMistake = [string, Call, ErrorConstructor | typeof MfaError, RegExp];

const NOT_OBJECTS: unknown[] = ['x', 42, null, true, [1]];
const NOT_INTEGERS: unknown[] = ['1', 1.5, Number.NaN, Number.POSITIVE_INFINITY, null, {}, 1n];

function mistakes(): CallerMistake[] {
  const t: CallerMistake[] = [];
  const add = (name: string, call: Call, type: CallerMistake[2], param: RegExp) => t.push([name, call, type, param]);
  const bad = SENTINEL as never;

  // Secrets given by the caller: wrong types are TypeErrors, wrong text is INVALID_SECRET.
  for (const secret of [42, null, undefined, {}, [1, 2], new ArrayBuffer(20), new Uint16Array(20)]) {
    add(`generateHotp(secret=${String(secret)})`, () => generateHotp(secret as never, 0), TypeError, /secret/);
    add(`generateTotp(secret=${String(secret)})`, () => generateTotp(secret as never, { now: 0 }), TypeError, /secret/);
    add(`verifyHotp(secret=${String(secret)})`, () => verifyHotp(secret as never, '123456', 0), TypeError, /secret/);
    add(`verifyTotp(secret=${String(secret)})`, () => verifyTotp(secret as never, '123456'), TypeError, /secret/);
    add(`buildOtpauthUri(secret=${String(secret)})`, () => buildOtpauthUri({ account: 'a', secret: secret as never }), TypeError, /secret/);
  }
  for (const text of ['', '١٢٣٤٥٦', '12345é', 'GEZD\u0000GNBV', '１２３４５６', 'A'.repeat(1_000_000), `${KEY}!`]) {
    const label = JSON.stringify(text.slice(0, 12));
    add(`generateHotp(secret=${label})`, () => generateHotp(text, 0), MfaError, /secret/);
    add(`verifyTotp(secret=${label})`, () => verifyTotp(text, '123456'), MfaError, /secret/);
    add(`decodeSecret(${label})`, () => decodeSecret(text), MfaError, /secret/);
  }
  for (const value of [42, null, undefined, {}, SENTINEL]) {
    if (typeof value !== 'string') add(`decodeSecret(${String(value)})`, () => decodeSecret(value as never), TypeError, /secret/);
    add(`encodeSecret(${String(value)})`, () => encodeSecret(value as never), TypeError, /bytes/);
  }

  // Counters, options and windows.
  for (const counter of NOT_INTEGERS.filter((v) => typeof v !== 'bigint')) {
    add(`generateHotp(counter=${String(counter)})`, () => generateHotp(KEY, counter as never), TypeError, /counter/);
    add(`verifyHotp(counter=${String(counter)})`, () => verifyHotp(KEY, '123456', counter as never), TypeError, /counter/);
  }
  // Counters as bigint: 0 to 2^64−1 (RFC 4226 §5.1, 8 bytes).
  for (const counter of [-1n, 2n ** 64n]) {
    add(`generateHotp(counter=${counter}n)`, () => generateHotp(KEY, counter), RangeError, /counter/);
    add(`verifyHotp(counter=${counter}n)`, () => verifyHotp(KEY, '123456', counter), RangeError, /counter/);
  }
  for (const counter of [-1, 2 ** 53, Number.MAX_VALUE]) {
    add(`generateHotp(counter=${counter})`, () => generateHotp(KEY, counter), RangeError, /counter/);
    add(`verifyHotp(counter=${counter})`, () => verifyHotp(KEY, '123456', counter), RangeError, /counter/);
  }
  for (const digits of [0, 5, 11, -6]) {
    add(`generateHotp(digits=${digits})`, () => generateHotp(KEY, 0, { digits }), RangeError, /digits/);
    add(`verifyTotp(digits=${digits})`, () => verifyTotp(KEY, '123456', { digits }), RangeError, /digits/);
  }
  for (const digits of ['6', 6.5, Number.NaN]) {
    add(`generateTotp(digits=${String(digits)})`, () => generateTotp(KEY, { digits: digits as never }), TypeError, /digits/);
  }
  for (const algorithm of ['sha1', 'MD5', 'SHA-1', '', 1]) {
    add(`generateHotp(algorithm=${String(algorithm)})`, () => generateHotp(KEY, 0, { algorithm: algorithm as never }), TypeError, /algorithm/);
    add(`verifyTotp(algorithm=${String(algorithm)})`, () => verifyTotp(KEY, '123456', { algorithm: algorithm as never }), TypeError, /algorithm/);
  }
  for (const now of [Number.NaN, Number.POSITIVE_INFINITY, '0', 1n]) {
    add(`generateTotp(now=${String(now)})`, () => generateTotp(KEY, { now: now as never }), TypeError, /now/);
    add(`verifyTotp(now=${String(now)})`, () => verifyTotp(KEY, '123456', { now: now as never }), TypeError, /now/);
    add(`timeStep(now=${String(now)})`, () => timeStep(now as never), TypeError, /now/);
  }
  for (const period of [0, -30, 2 ** 31]) {
    add(`generateTotp(period=${period})`, () => generateTotp(KEY, { now: 0, period }), RangeError, /period/);
    add(`timeStep(period=${period})`, () => timeStep(0, { period }), RangeError, /period/);
  }
  add('timeStep(period=1.5)', () => timeStep(0, { period: 1.5 }), TypeError, /period/);
  add('verifyTotp(t0=0.5)', () => verifyTotp(KEY, '123456', { t0: 0.5 }), TypeError, /t0/);
  add('generateTotp(now before t0)', () => generateTotp(KEY, { now: 0, t0: 30 }), RangeError, /t0/);
  for (const window of [11, -1, 100]) add(`verifyTotp(window=${window})`, () => verifyTotp(KEY, '123456', { window }), RangeError, /window/);
  for (const window of ['1', 1.5, true]) add(`verifyTotp(window=${String(window)})`, () => verifyTotp(KEY, '123456', { window: window as never }), TypeError, /window/);
  add('verifyTotp(window.past=11)', () => verifyTotp(KEY, '123456', { window: { past: 11 } }), RangeError, /window\.past/);
  add('verifyTotp(window.future=-1)', () => verifyTotp(KEY, '123456', { window: { future: -1 } }), RangeError, /window\.future/);
  add('verifyTotp(window.future="1")', () => verifyTotp(KEY, '123456', { window: { future: '1' as never } }), TypeError, /window\.future/);
  for (const afterStep of [-2, 2 ** 53]) add(`verifyTotp(afterStep=${afterStep})`, () => verifyTotp(KEY, '123456', { afterStep }), RangeError, /afterStep/);
  add('verifyTotp(afterStep="5")', () => verifyTotp(KEY, '123456', { afterStep: '5' as never }), TypeError, /afterStep/);
  for (const lookAhead of [-1, 101]) add(`verifyHotp(lookAhead=${lookAhead})`, () => verifyHotp(KEY, '123456', 0, { lookAhead }), RangeError, /lookAhead/);

  // Options that are not objects.
  for (const opts of NOT_OBJECTS) {
    const o = opts as never;
    add(`generateSecret(${JSON.stringify(opts)})`, () => generateSecret(o), TypeError, /options/);
    add(`generateHotp(opts=${JSON.stringify(opts)})`, () => generateHotp(KEY, 0, o), TypeError, /options/);
    add(`verifyHotp(opts=${JSON.stringify(opts)})`, () => verifyHotp(KEY, '123456', 0, o), TypeError, /options/);
    add(`generateTotp(opts=${JSON.stringify(opts)})`, () => generateTotp(KEY, o), TypeError, /options/);
    add(`verifyTotp(opts=${JSON.stringify(opts)})`, () => verifyTotp(KEY, '123456', o), TypeError, /options/);
    add(`timeStep(opts=${JSON.stringify(opts)})`, () => timeStep(0, o), TypeError, /options/);
    add(`buildOtpauthUri(${JSON.stringify(opts)})`, () => buildOtpauthUri(o), TypeError, /params/);
    add(`generateRecoveryCodes(${JSON.stringify(opts)})`, () => generateRecoveryCodes(o), TypeError, /options/);
    add(`hashRecoveryCode(opts=${JSON.stringify(opts)})`, () => hashRecoveryCode('0000-0000-0000-0000-0000-0000', o), TypeError, /options/);
  }
  add('buildOtpauthUri(undefined)', () => buildOtpauthUri(undefined as never), TypeError, /params/);

  // Generators.
  for (const bytes of [15, 0, 1025]) add(`generateSecret(bytes=${bytes})`, () => generateSecret({ bytes }), RangeError, /bytes/);
  for (const bytes of NOT_INTEGERS.filter((v) => v !== null)) add(`generateSecret(bytes=${String(bytes)})`, () => generateSecret({ bytes: bytes as never }), TypeError, /bytes/);
  add('generateSecret(random="x")', () => generateSecret({ random: bad }), TypeError, /random/);
  add('generateRecoveryCodes(random=1)', () => generateRecoveryCodes({ random: 1 as never }), TypeError, /random/);
  for (const count of [0, -1, 101]) add(`generateRecoveryCodes(count=${count})`, () => generateRecoveryCodes({ count }), RangeError, /count/);
  add('generateRecoveryCodes(count="10")', () => generateRecoveryCodes({ count: bad }), TypeError, /count/);

  // Recovery codes and the comparison helper.
  add('hashRecoveryCode(pepper=1)', () => hashRecoveryCode('0000-0000-0000-0000-0000-0000', { pepper: 1 as never }), TypeError, /pepper/);
  for (const input of ['', '١٢٣٤٥٦', '12345é', '\u0000'.repeat(24), 'A'.repeat(1_000_000), null, 42]) {
    add(`hashRecoveryCode(${JSON.stringify(typeof input === 'string' ? input.slice(0, 8) : input)})`, () => hashRecoveryCode(input as never), MfaError, /recovery code/);
  }
  for (const pair of [['a', 'b'], [new Uint8Array(1), [1]], [null, new Uint8Array(1)]]) {
    add(`constantTimeEqual(${typeof pair[0]}, ${typeof pair[1]})`, () => constantTimeEqual(pair[0] as never, pair[1] as never), TypeError, /Uint8Array/);
  }
  return t;
}

describe('caller mistakes throw a typed error that names the parameter and echoes no input', () => {
  it.each(mistakes())('%s', (_name, call, type, param) => {
    let error: unknown;
    try {
      call();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(type);
    if (type !== MfaError) expect(isMfaError(error)).toBe(false);
    const message = (error as Error).message;
    expect(message).toMatch(param);
    expect(message).not.toContain(SENTINEL);
    expect(message).not.toContain(KEY.slice(0, 12));
    expect(message.length).toBeLessThan(300);
  });
});

describe('null for an option means "not given", as undefined does', () => {
  it('defaults apply', () => {
    const now = 1_700_000_000_000;
    const nul = null as never;
    expect(generateTotp(KEY, { now, digits: nul, algorithm: nul, period: nul, t0: nul })).toBe(generateTotp(KEY, { now }));
    expect(verifyTotp(KEY, generateTotp(KEY, { now }), { now, window: nul, afterStep: nul })).toEqual({ ok: true, step: timeStep(now), delta: 0 });
    expect(decodeSecret(generateSecret({ bytes: nul }))).toHaveLength(20);
    const current = timeStep();
    expect([current, current + 1]).toContain(timeStep(nul));
    expect(generateRecoveryCodes({ count: nul })).toHaveLength(10);
  });
});

describe('functions that take end-user input and answer without throwing', () => {
  it('normalizeRecoveryCode gives null', () => {
    for (const [, value] of BAD_TOKENS) expect(normalizeRecoveryCode(value as never)).toBeNull();
  });

  it('parseOtpauthUri gives only INVALID_URI, for any value', () => {
    for (const [, value] of BAD_TOKENS) {
      expect(() => parseOtpauthUri(value as never)).toThrow(MfaError);
      try {
        parseOtpauthUri(value as never);
      } catch (e) {
        expect(isMfaError(e, 'INVALID_URI')).toBe(true);
      }
    }
  });

  it('isMfaError answers false for anything that is not one', () => {
    for (const value of [...BAD_TOKENS.map(([, v]) => v), new Error('x'), { code: 'INVALID_URI' }, Object.create(null)]) {
      expect(isMfaError(value)).toBe(false);
    }
    expect(isMfaError(new MfaError('INVALID_URI', 'x'), 'INVALID_SECRET')).toBe(false);
    expect(isMfaError(new MfaError('INVALID_URI', 'x'), 'INVALID_URI')).toBe(true);
  });

  it('constantTimeEqual compares lengths and bytes', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
