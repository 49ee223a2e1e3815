/**
 * The `mfakit` command: try the core from a shell and debug a user's
 * authenticator setup. Exit codes: 0 success, 1 a code did not verify,
 * 2 bad arguments (one line on stderr).
 * @module
 */
import { readFileSync } from 'node:fs';
import { extraAlgorithms } from './algorithms.js';
import {
  buildOtpauthUri,
  createTotpVerifier,
  decodeSecret,
  generateHotp,
  generateRecoveryCodes,
  generateSecret,
  generateTotp,
  isMfaError,
  parseMigrationUri,
  parseOtpauthUri,
  registerAlgorithms,
  timeStep,
  verifyHotp,
  verifyTotp,
  type Algorithm,
  type OtpauthUri,
} from './index.js';
import { algorithmFromName } from './internal/options.js';
import { qrTerminal } from './qr.js';

// The CLI is for debugging any setup: every algorithm is available by name.
registerAlgorithms(...extraAlgorithms);

type Options = Record<string, { type: 'string' | 'boolean' }>;
type Values = Record<string, string | boolean | undefined>;

interface Command {
  usage: string;
  summary: string;
  /** Option lines, without the "Options:" heading. */
  details: string;
  notes?: string;
  options: Options;
  positionals: string[];
  run(args: string[], values: Values): number;
}

/** A mistake in the command line: reported on one line, exit code 2. */
class UsageError extends Error {}

const OTP_OPTIONS: Options = {
  time: { type: 'string' },
  digits: { type: 'string' },
  period: { type: 'string' },
  algorithm: { type: 'string' },
  counter: { type: 'string' },
  hex: { type: 'boolean' },
};

const ALGORITHM_NAMES = 'SHA1, SHA256, SHA512, SHA224, SHA384, SHA3-256 or SHA3-512';
const TIME_HELP = `  --time <when>          the time instead of now: Unix seconds (decimals allowed),
                         milliseconds (13 digits, as Date.now() prints them) or an
                         ISO-8601 date such as 2024-05-01T12:00:00Z (UTC without an offset)`;
const OTP_HELP = `${TIME_HELP}
  --digits <n>           code length, 6-10 (default 6)
  --period <seconds>     TOTP time step (default 30)
  --algorithm <name>     ${ALGORITHM_NAMES} (default SHA1)
  --counter <n>          use HOTP (RFC 4226) with this counter (0 to 2^64-1) instead of TOTP
  --hex                  the secret is hexadecimal, as oathtool takes it, instead of base32`;
const STDIN_NOTE = 'A secret of "-" is read from standard input, which keeps it out of shell history.';
/** How far `verify` looks for a code that did not match in the window: a clock off by up to 2 hours. */
const DRIFT_SEARCH_SECONDS = 2 * 60 * 60;
/** How many counters `verify --counter` looks ahead of and behind the window for a code that did not match. */
const HOTP_SEARCH = 100;

const COMMANDS: Record<string, Command> = {
  secret: {
    usage: 'mfakit secret [--bytes N]',
    summary: 'print a new random secret (base32)',
    details: `  --bytes <n>            secret length in bytes, 16-1024 (default 20, RFC 4226 §4)`,
    options: { bytes: { type: 'string' } },
    positionals: [],
    run(_args, values) {
      const bytes = values.bytes === undefined ? undefined : integer(values.bytes, '--bytes');
      out(generateSecret(bytes === undefined ? {} : { bytes }));
      return 0;
    },
  },
  code: {
    usage: 'mfakit code <secret> [--hex] [--time T] [--digits N] [--period S] [--algorithm A] [--counter C]',
    summary: 'print the current code for a secret (the code alone on the last line)',
    details: OTP_HELP,
    notes: STDIN_NOTE,
    options: OTP_OPTIONS,
    positionals: ['secret'],
    run([secretArg], values) {
      const secret = readSecret(secretArg as string, values.hex === true);
      const opts = otpOptions(values);
      const timeOpts = timeOptions(values);
      if (values.counter !== undefined) {
        out(generateHotp(secret, counterOption(values), opts));
      } else {
        out(generateTotp(secret, { ...opts, ...timeOpts }));
      }
      return 0;
    },
  },
  verify: {
    usage: 'mfakit verify <secret> <code> [--hex] [--window W] [--time T] [--digits N] [--period S] [--algorithm A] [--counter C]',
    summary: 'check a code; exit 0 when it verifies, 1 when it does not, saying how far off it is',
    details: `${OTP_HELP}
  --window <steps>       TOTP steps accepted either side of now, 0-10 (default 1);
                         with --counter, how many later counters are accepted (default 0)`,
    notes: `A code that does not verify is looked for up to 2 hours either side (with --counter, ${HOTP_SEARCH} counters),
and the answer says how far the phone's clock or counter is off. ${STDIN_NOTE}`,
    options: { ...OTP_OPTIONS, window: { type: 'string' } },
    positionals: ['secret', 'code'],
    run([secretArg, code], values) {
      const secret = readSecret(secretArg as string, values.hex === true);
      const opts = otpOptions(values);
      const window = values.window === undefined ? undefined : integer(values.window, '--window');
      const timeOpts = timeOptions(values);
      if (values.counter !== undefined) {
        const counter = counterOption(values);
        const r = verifyHotp(secret, code as string, counter, window === undefined ? opts : { ...opts, lookAhead: window });
        if (r.ok) {
          out(`ok: counter ${r.counter} (delta ${signed(r.delta)}); the next counter is ${BigInt(r.counter) + 1n}`);
          return 0;
        }
        out(r.reason === 'malformed' ? malformed(code as string, opts.digits ?? 6) : hotpMismatch(secret, code as string, counter, window ?? 0, opts));
        return 1;
      }
      const r = verifyTotp(secret, code as string, { ...opts, ...timeOpts, ...(window === undefined ? {} : { window }) });
      if (r.ok) {
        out(`ok: step ${r.step} (delta ${signed(r.delta)})`);
        return 0;
      }
      out(r.reason === 'malformed' ? malformed(code as string, opts.digits ?? 6) : totpMismatch(secret, code as string, window ?? 1, { ...opts, ...timeOpts }));
      return 1;
    },
  },
  uri: {
    usage: 'mfakit uri --issuer I --account A [--secret S [--hex]] [--digits N] [--period S] [--algorithm A] [--no-qr]',
    summary: 'print an otpauth:// URI and its QR code, for an authenticator app',
    details: `  --issuer <name>        service name shown in the app (no colon)
  --account <name>       the user's account, e.g. an e-mail address (no colon)
  --secret <base32>      the secret; a new random one when omitted, "-" reads standard input
  --hex                  the secret is hexadecimal instead of base32
  --digits <n>           code length, 6-10 (default 6; most apps only support 6)
  --period <seconds>     time step (default 30; most apps only support 30)
  --algorithm <name>     ${ALGORITHM_NAMES}
                         (default SHA1; most apps only support SHA1)
  --no-qr                print the URI only`,
    notes: 'Anyone who sees the QR code or the URI can generate codes: show it only to its user.',
    options: {
      issuer: { type: 'string' },
      account: { type: 'string' },
      secret: { type: 'string' },
      digits: { type: 'string' },
      period: { type: 'string' },
      algorithm: { type: 'string' },
      hex: { type: 'boolean' },
      'no-qr': { type: 'boolean' },
    },
    positionals: [],
    run(_args, values) {
      if (values.account === undefined) throw new UsageError('--account is required');
      if (values.hex === true && values.secret === undefined) throw new UsageError('--hex needs --secret');
      const secret = values.secret === undefined ? generateSecret() : readSecret(values.secret as string, values.hex === true);
      const period = values.period === undefined ? undefined : integer(values.period, '--period');
      const uri = buildOtpauthUri({
        account: values.account as string,
        secret,
        ...(values.issuer === undefined ? {} : { issuer: values.issuer as string }),
        ...otpOptions(values),
        ...(period === undefined ? {} : { period }),
      });
      if (values['no-qr'] !== true) out(qrTerminal(uri));
      out(uri);
      return 0;
    },
  },
  inspect: {
    usage: 'mfakit inspect <uri> [--time T]',
    summary: 'parse an otpauth:// URI or a Google Authenticator export, print every account and its current code',
    details: TIME_HELP,
    notes: 'A Google Authenticator export is the text of its "Transfer accounts" QR code (otpauth-migration://offline?data=…).',
    options: { time: { type: 'string' } },
    positionals: ['uri'],
    run([uri], values) {
      const now = timeOptions(values).now;
      if (/^\s*otpauth-migration:/i.test(uri as string)) {
        const exported = parseMigrationUri(uri as string);
        out(`export:    QR code ${exported.batchIndex + 1} of ${exported.batchSize}, ${exported.accounts.length} account${exported.accounts.length === 1 ? '' : 's'}`);
        exported.accounts.forEach((account, i) => {
          out('');
          out(`account ${i + 1}:`);
          printAccount(account, now);
        });
        return 0;
      }
      printAccount(parseOtpauthUri(uri as string), now);
      return 0;
    },
  },
  'recovery-codes': {
    usage: 'mfakit recovery-codes [--count N]',
    summary: 'print one-time recovery codes (120 bits each)',
    details: `  --count <n>            how many codes, 1-100 (default 10)`,
    options: { count: { type: 'string' } },
    positionals: [],
    run(_args, values) {
      const count = values.count === undefined ? undefined : integer(values.count, '--count');
      for (const code of generateRecoveryCodes(count === undefined ? {} : { count })) out(code);
      return 0;
    },
  },
  keygen: {
    usage: 'mfakit keygen [--id ID]',
    summary: 'print a new secret-key ring entry and pepper for createMfa, and the environment lines to paste',
    details: `  --id <id>              id of the new key, 1-64 of A-Z a-z 0-9 _ - (default key-YYYYMMDD, today in UTC)`,
    notes: `Both are 32 random bytes in base64. Keep them outside the database (a secret manager or the
environment). To rotate the key, add the new entry beside the old ones and point current at it;
records sealed under an old id are re-encrypted when next used. Generate the pepper once:
changing it invalidates every stored recovery code.`,
    options: { id: { type: 'string' } },
    positionals: [],
    run(_args, values) {
      const id = values.id === undefined ? `key-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}` : (values.id as string);
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new UsageError('--id must be 1-64 characters of A-Z a-z 0-9 _ -');
      const key = randomBase64(32);
      const pepper = randomBase64(32);
      out('// createMfa({ ..., secretKeys, pepper }):');
      out(`secretKeys: { current: '${id}', keys: { '${id}': '${key}' } },`);
      out(`pepper: '${pepper}',`);
      out('');
      out('# or in the environment:');
      out(`MFAKIT_SECRET_KEY_ID=${id}`);
      out(`MFAKIT_SECRET_KEY=${key}`);
      out(`MFAKIT_PEPPER=${pepper}`);
      out('');
      out('// read back with:');
      out('// secretKeys: { current: process.env.MFAKIT_SECRET_KEY_ID, keys: { [process.env.MFAKIT_SECRET_KEY_ID]: process.env.MFAKIT_SECRET_KEY } },');
      out('// pepper: process.env.MFAKIT_PEPPER,');
      return 0;
    },
  },
};

/** The fields of one account, a weak-secret warning on stderr, and its code at `now`. */
function printAccount(p: OtpauthUri, now: number | undefined): void {
  if (p.weakSecret) warnWeak(decodeSecret(p.secret).length);
  const rows: Array<[string, string | number | bigint | undefined]> = [
    ['type', p.type],
    ['issuer', p.issuer],
    ['label', p.labelIssuer === undefined ? undefined : `${p.labelIssuer} (label prefix; the issuer parameter wins)`],
    ['account', p.account],
    ['secret', p.secret],
    ['algorithm', p.algorithm],
    ['digits', p.digits],
    ['period', p.period],
    ['counter', p.counter],
    ['image', p.image],
  ];
  const otp = { algorithm: p.algorithm, digits: p.digits };
  if (p.type === 'hotp') rows.push(['code', generateHotp(p.secret, p.counter ?? 0, otp)]);
  else {
    const opts = { ...otp, period: p.period, now };
    rows.push(['step', timeStep(now, opts)], ['code', generateTotp(p.secret, opts)]);
  }
  for (const [name, value] of rows) if (value !== undefined) out(`${`${name}:`.padEnd(11)}${value}`);
}

function overallHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const list = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join('\n');
  return `mfakit: one-time passwords (RFC 4226 HOTP, RFC 6238 TOTP), otpauth:// URIs and recovery codes

Usage: mfakit <command> [options]

Commands:
${list}

Run "mfakit <command> --help" for the options of a command.
Exit codes: 0 success, 1 a code did not verify, 2 bad arguments.

Examples:
  mfakit secret
  mfakit uri --issuer ACME --account jane@example.com
  mfakit code GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --time 59 --digits 8
  mfakit verify GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ 94287082 --time 59 --digits 8
  mfakit code 3132333435363738393031323334353637383930 --hex --time 2024-05-01T12:00:00Z
  mfakit keygen`;
}

function commandHelp(c: Command): string {
  const summary = `${c.summary[0]?.toUpperCase()}${c.summary.slice(1)}.`;
  const options = `Options:\n${c.details}\n  -h, --help             show this help`;
  return [`Usage: ${c.usage}`, summary, options, ...(c.notes === undefined ? [] : [c.notes])].join('\n\n');
}

function run(argv: string[]): number {
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError('missing command (try "mfakit --help")');
  if (name === '--help' || name === '-h') return (out(overallHelp()), 0);
  if (name === '--version' || name === '-v') return (out(version()), 0);
  if (name === 'help') {
    const topic = rest[0];
    if (topic === undefined) return (out(overallHelp()), 0);
    return (out(commandHelp(findCommand(topic))), 0);
  }
  const command = findCommand(name);

  const parsed = parseCommandLine(name, command, rest);
  if (parsed.values.help === true) return (out(commandHelp(command)), 0);
  const expected = command.positionals;
  if (parsed.positionals.length < expected.length) {
    throw new UsageError(`missing <${expected[parsed.positionals.length]}> (usage: ${command.usage})`);
  }
  if (parsed.positionals.length > expected.length) {
    // Not echoed: a stray argument may be a secret or a code.
    throw new UsageError(`too many arguments (usage: ${command.usage})`);
  }
  return command.run(parsed.positionals, parsed.values);
}

function findCommand(name: string): Command {
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command !== undefined) return command;
  // Echo only what looks like a mistyped command name: a misplaced argument may be a secret.
  const shown = /^[a-z-]{1,24}$/.test(name) ? ` "${name}"` : '';
  throw new UsageError(`unknown command${shown} (try "mfakit --help")`);
}

/**
 * Reads options and positionals. Our own reader rather than node:util parseArgs,
 * so that every mistake is one line of ours and a value may start with a dash
 * (`--time -5` is a negative time to refuse, not an "ambiguous" argument).
 */
function parseCommandLine(name: string, command: Command, args: string[]): { values: Values; positionals: string[] } {
  const options: Options = { ...command.options, help: { type: 'boolean' } };
  const values: Values = {};
  const positionals: string[] = [];
  const hint = `(try "mfakit ${name} --help")`;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const key = flag === '-h' ? 'help' : flag.startsWith('--') ? flag.slice(2) : '';
    const spec = Object.hasOwn(options, key) ? options[key] : undefined;
    if (spec === undefined) {
      // Echo only what looks like an option name: a misplaced argument may be a secret.
      throw new UsageError(`unknown option${/^--?[A-Za-z0-9-]{1,24}$/.test(flag) ? ` ${flag}` : ''} ${hint}`);
    }
    if (Object.hasOwn(values, key)) throw new UsageError(`${flag} is given twice`);
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`${flag} takes no value`);
      values[key] = true;
    } else if (eq >= 0) {
      values[key] = arg.slice(eq + 1);
    } else {
      if (i + 1 === args.length) throw new UsageError(`${flag} needs a value ${hint}`);
      values[key] = args[++i];
    }
  }
  return { values, positionals };
}

function otpOptions(values: Values): { algorithm?: Algorithm; digits?: number } {
  const opts: { algorithm?: Algorithm; digits?: number } = {};
  if (values.algorithm !== undefined) {
    const a = algorithmFromName(values.algorithm as string);
    if (a === undefined) throw new UsageError(`--algorithm must be ${ALGORITHM_NAMES}`);
    opts.algorithm = a;
  }
  if (values.digits !== undefined) opts.digits = integer(values.digits, '--digits');
  return opts;
}

function timeOptions(values: Values): { now?: number; period?: number } {
  if (values.counter !== undefined) {
    // HOTP has no clock: a --time here would be silently ignored.
    if (values.time !== undefined) throw new UsageError('--time and --counter cannot be used together (--counter is HOTP, which has no clock)');
    if (values.period !== undefined) throw new UsageError('--period and --counter cannot be used together (--counter is HOTP, which has no period)');
  }
  const opts: { now?: number; period?: number } = {};
  if (values.time !== undefined) opts.now = parseTime(values.time as string);
  if (values.period !== undefined) opts.period = integer(values.period, '--period');
  return opts;
}

/** Milliseconds since the epoch from Unix seconds, milliseconds (with a note) or an ISO-8601 date. */
function parseTime(text: string): number {
  const t = text.trim();
  const expected = 'Unix seconds, milliseconds or an ISO-8601 date, e.g. 1700000000 or 2023-11-14T22:13:20Z';
  if (/^-\s*[0-9]/.test(t)) throw new UsageError(`--time must not be negative (${expected})`);
  const number = /^([0-9]{1,16})(\.[0-9]{1,3})?$/.exec(t);
  if (number !== null) {
    // 12 digits or more is past the year 5000 in seconds but 1973 onwards in ms: what Date.now() prints.
    if ((number[1] as string).length >= 12 && number[2] === undefined) {
      const ms = Number(t);
      note(`--time ${t} was read as milliseconds (${new Date(ms).toISOString()})`);
      return ms;
    }
    return Math.round(Number(t) * 1000);
  }
  const iso = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(\.[0-9]{1,9})?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$/i.exec(t);
  if (iso !== null) {
    const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone = 'Z'] = iso;
    const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${frac.slice(0, 4)}${zone.toUpperCase().replace(/^([+-][0-9]{2})([0-9]{2})$/, '$1:$2')}`);
    // Date.parse rolls 2023-02-30 over to March; a date that does not exist is a typo.
    const sameDay = Number.isFinite(ms) && new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))).toISOString().startsWith(`${y}-${mo}-${d}`);
    if (!sameDay || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) throw new UsageError(`--time is not a valid date (${expected})`);
    if (ms < 0) throw new UsageError(`--time must not be before 1970 (${expected})`);
    return ms;
  }
  throw new UsageError(`--time must be ${expected}`);
}

/** The HOTP counter: a number, or a bigint above 2^53−1 (RFC 4226 §5.1 allows 8 bytes). */
function counterOption(values: Values): number | bigint {
  const text = values.counter as string;
  if (!/^[0-9]{1,20}$/.test(text)) throw new UsageError('--counter must be a whole number, 0 to 2^64-1');
  const n = BigInt(text);
  if (n > 0xffffffffffffffffn) throw new UsageError('--counter must be at most 2^64-1 (18446744073709551615)');
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** What was wrong with a code that is not `digits` digits, without repeating it. */
function malformed(code: string, digits: number): string {
  if (code.length > 64) return `malformed: expected ${digits} digits, got ${code.length} characters`;
  const chars = [...code];
  const bad = chars.findIndex((c) => !/^[0-9\s\u00a0\u2009\u202f]$/.test(c));
  if (bad >= 0) return `malformed: expected ${digits} digits, got a character that is not a digit 0-9 at position ${bad + 1}`;
  const count = chars.filter((c) => /^[0-9]$/.test(c)).length;
  return `malformed: expected ${digits} digits, got ${count}`;
}

/** For a TOTP code that matched no step of the window: the nearest step within 2 hours that it matches. */
function totpMismatch(secret: Uint8Array, code: string, window: number, opts: { algorithm?: Algorithm; digits?: number; period?: number; now?: number }): string {
  const period = opts.period ?? 30;
  const now = opts.now ?? Date.now();
  const verifier = createTotpVerifier(secret, { ...opts, window: 0 });
  try {
    const reach = Math.max(window + 1, Math.ceil(DRIFT_SEARCH_SECONDS / period));
    for (let d = window + 1; d <= reach; d++) {
      for (const delta of [d, -d]) {
        const at = now + delta * period * 1000;
        if (at >= 0 && verifier.verify(code, { now: at }).ok) return `mismatch: ${drift(delta, period)}`;
      }
    }
  } finally {
    verifier.destroy();
  }
  return 'mismatch: no step within 2 hours either side matches; check the secret, --algorithm, --digits and --period';
}

function drift(delta: number, period: number): string {
  const steps = `${Math.abs(delta)} step${Math.abs(delta) === 1 ? '' : 's'}`;
  const seconds = Math.abs(delta) * period;
  const off = seconds < 120 ? `~${seconds} s` : seconds < 7200 ? `~${Math.round(seconds / 60)} min` : `~${Math.round(seconds / 3600)} h`;
  return delta > 0
    ? `matches ${steps} ahead: the phone's clock is ${off} fast`
    : `matches ${steps} behind: the phone's clock is ${off} slow (or the code was typed late)`;
}

/** For a HOTP code outside the look-ahead: the counter it matches, ahead or behind. */
function hotpMismatch(secret: Uint8Array, code: string, counter: number | bigint, window: number, opts: { algorithm?: Algorithm; digits?: number }): string {
  const big = BigInt(counter);
  const ahead = verifyHotp(secret, code, big + BigInt(window + 1) > 0xffffffffffffffffn ? big : big + BigInt(window + 1), { ...opts, lookAhead: HOTP_SEARCH });
  if (ahead.ok && ahead.counter > big + BigInt(window)) {
    const by = ahead.counter - big;
    return `mismatch: matches counter ${ahead.counter}, ${by} ahead: the token was used ${by} times without a sign-in (--window ${by} accepts it)`;
  }
  const from = big > BigInt(HOTP_SEARCH) ? big - BigInt(HOTP_SEARCH) : 0n;
  if (from < big) {
    const behind = verifyHotp(secret, code, from, { ...opts, lookAhead: Number(big - from - 1n) });
    if (behind.ok) return `mismatch: matches counter ${behind.counter}, ${big - behind.counter} behind: a code that was already used`;
  }
  return `mismatch: no counter within ${HOTP_SEARCH} of ${counter} matches; check the secret, --algorithm and --digits`;
}

function integer(value: string | boolean | undefined, name: string): number {
  if (typeof value !== 'string' || !/^[0-9]{1,16}$/.test(value)) throw new UsageError(`${name} must be a whole number`);
  return Number(value);
}

/** The secret argument as bytes ("-" reads standard input), with a warning on stderr when it is weak. */
function readSecret(arg: string, hex = false): Uint8Array {
  let text = arg;
  if (arg === '-') {
    text = readFileSync(0, 'utf8').split(/\r?\n/)[0]?.trim() ?? '';
    if (text === '') throw new UsageError('no secret on standard input');
  }
  const bytes = hex ? decodeHex(text) : decodeSecret(text);
  if (bytes.length < 16) warnWeak(bytes.length);
  return bytes;
}

/** oathtool's key form: hexadecimal digits, any case, spaces allowed between them. */
function decodeHex(text: string): Uint8Array {
  let digits = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') continue;
    if (!/^[0-9a-fA-F]$/.test(c)) {
      const cp = text.codePointAt(i) ?? 0;
      const hexCode = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
      const shown = cp >= 0x21 && cp <= 0x7e ? `'${String.fromCodePoint(cp)}' (${hexCode})` : hexCode;
      throw new UsageError(`the secret contains ${shown} at position ${i + 1}, which is not hexadecimal (with --hex)`);
    }
    digits += c;
  }
  if (digits.length === 0) throw new UsageError('the secret is empty');
  if (digits.length % 2 === 1) throw new UsageError(`the secret has ${digits.length} hex digits, which is not a whole number of bytes`);
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function randomBase64(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  const text = Buffer.from(buf).toString('base64');
  buf.fill(0);
  return text;
}

/** Weak secrets are computed with (they exist in the wild), but the person debugging one should know. */
function warnWeak(length: number): void {
  process.stderr.write(`mfakit: warning: the secret is ${length} bytes, under the 16 that RFC 4226 §4 (R6) asks for; codes are computed all the same\n`);
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

const signed = (n: number): string => (n > 0 ? `+${n}` : String(n));
const firstLine = (s: string): string => s.split('\n')[0] ?? s;
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const note = (line: string): void => void process.stderr.write(`mfakit: note: ${line}\n`);

function main(): void {
  try {
    process.exitCode = run(process.argv.slice(2));
  } catch (e) {
    // Wrong input from the command line surfaces as one of these; anything else is a bug and keeps its stack.
    if (e instanceof UsageError || e instanceof TypeError || e instanceof RangeError || isMfaError(e)) {
      process.stderr.write(`mfakit: ${firstLine((e as Error).message)}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}

main();
