/**
 * The `mfakit` command: try the core from a shell and debug a user's
 * authenticator setup. Exit codes: 0 success, 1 a code did not verify,
 * 2 bad arguments (one line on stderr).
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  buildOtpauthUri,
  decodeSecret,
  generateHotp,
  generateRecoveryCodes,
  generateSecret,
  generateTotp,
  isMfaError,
  parseMigrationUri,
  parseOtpauthUri,
  timeStep,
  verifyHotp,
  verifyTotp,
  type Algorithm,
  type OtpauthUri,
} from './index.js';
import { qrTerminal } from './qr.js';

type Options = NonNullable<ParseArgsConfig['options']>;
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
};

const OTP_HELP = `  --time <seconds>       Unix time to use instead of now (decimals allowed)
  --digits <n>           code length, 6-10 (default 6)
  --period <seconds>     TOTP time step (default 30)
  --algorithm <name>     SHA1, SHA256 or SHA512 (default SHA1)
  --counter <n>          use HOTP (RFC 4226) with this counter instead of TOTP`;
const STDIN_NOTE = 'A secret of "-" is read from standard input, which keeps it out of shell history.';

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
    usage: 'mfakit code <secret> [--time T] [--digits N] [--period S] [--algorithm A] [--counter C]',
    summary: 'print the current code for a secret (the code alone on the last line)',
    details: OTP_HELP,
    notes: STDIN_NOTE,
    options: OTP_OPTIONS,
    positionals: ['secret'],
    run([secretArg], values) {
      const secret = readSecret(secretArg as string);
      const opts = otpOptions(values);
      if (values.counter !== undefined) {
        out(generateHotp(secret, integer(values.counter, '--counter'), opts));
      } else {
        out(generateTotp(secret, { ...opts, ...timeOptions(values) }));
      }
      return 0;
    },
  },
  verify: {
    usage: 'mfakit verify <secret> <code> [--window W] [--time T] [--digits N] [--period S] [--algorithm A] [--counter C]',
    summary: 'check a code; exit 0 when it verifies, 1 when it does not',
    details: `${OTP_HELP}
  --window <steps>       TOTP steps accepted either side of now, 0-10 (default 1);
                         with --counter, how many later counters are accepted (default 0)`,
    notes: STDIN_NOTE,
    options: { ...OTP_OPTIONS, window: { type: 'string' } },
    positionals: ['secret', 'code'],
    run([secretArg, code], values) {
      const secret = readSecret(secretArg as string);
      const opts = otpOptions(values);
      const window = values.window === undefined ? undefined : integer(values.window, '--window');
      if (values.counter !== undefined) {
        const counter = integer(values.counter, '--counter');
        const r = verifyHotp(secret, code as string, counter, window === undefined ? opts : { ...opts, lookAhead: window });
        out(r.ok ? `ok: counter ${r.counter} (delta ${signed(r.delta)}); the next counter is ${r.counter + 1}` : r.reason);
        return r.ok ? 0 : 1;
      }
      const timeOpts = timeOptions(values);
      const r = verifyTotp(secret, code as string, { ...opts, ...timeOpts, ...(window === undefined ? {} : { window }) });
      out(r.ok ? `ok: step ${r.step} (delta ${signed(r.delta)})` : r.reason);
      return r.ok ? 0 : 1;
    },
  },
  uri: {
    usage: 'mfakit uri --issuer I --account A [--secret S] [--digits N] [--period S] [--algorithm A] [--no-qr]',
    summary: 'print an otpauth:// URI and its QR code, for an authenticator app',
    details: `  --issuer <name>        service name shown in the app (no colon)
  --account <name>       the user's account, e.g. an e-mail address (no colon)
  --secret <base32>      the secret; a new random one when omitted, "-" reads standard input
  --digits <n>           code length, 6-10 (default 6; most apps only support 6)
  --period <seconds>     time step (default 30; most apps only support 30)
  --algorithm <name>     SHA1, SHA256 or SHA512 (default SHA1; most apps only support SHA1)
  --no-qr                print the URI only`,
    notes: 'Anyone who sees the QR code or the URI can generate codes: show it only to its user.',
    options: {
      issuer: { type: 'string' },
      account: { type: 'string' },
      secret: { type: 'string' },
      digits: { type: 'string' },
      period: { type: 'string' },
      algorithm: { type: 'string' },
      'no-qr': { type: 'boolean' },
    },
    positionals: [],
    run(_args, values) {
      if (values.account === undefined) throw new UsageError('--account is required');
      const secret = values.secret === undefined ? generateSecret() : readSecret(values.secret as string);
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
    details: `  --time <seconds>       Unix time for the codes shown (default now)`,
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
  mfakit verify GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ 94287082 --time 59 --digits 8`;
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

  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }) as { values: Values; positionals: string[] };
  } catch (e) {
    // parseArgs explains over several lines; the first one names the problem.
    throw new UsageError(`${firstLine((e as Error).message)} (try "mfakit ${name} --help")`);
  }
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

function otpOptions(values: Values): { algorithm?: Algorithm; digits?: number } {
  const opts: { algorithm?: Algorithm; digits?: number } = {};
  if (values.algorithm !== undefined) {
    const a = (values.algorithm as string).toUpperCase().replace('-', '');
    if (a !== 'SHA1' && a !== 'SHA256' && a !== 'SHA512') throw new UsageError('--algorithm must be SHA1, SHA256 or SHA512');
    opts.algorithm = a;
  }
  if (values.digits !== undefined) opts.digits = integer(values.digits, '--digits');
  return opts;
}

function timeOptions(values: Values): { now?: number; period?: number } {
  const opts: { now?: number; period?: number } = {};
  if (values.time !== undefined) {
    const t = values.time as string;
    if (!/^[0-9]{1,16}(\.[0-9]{1,3})?$/.test(t)) throw new UsageError('--time must be Unix seconds, e.g. 1700000000');
    opts.now = Math.round(Number(t) * 1000);
  }
  if (values.period !== undefined) opts.period = integer(values.period, '--period');
  return opts;
}

function integer(value: string | boolean | undefined, name: string): number {
  if (typeof value !== 'string' || !/^[0-9]{1,16}$/.test(value)) throw new UsageError(`${name} must be a whole number`);
  return Number(value);
}

/** The secret argument as bytes ("-" reads standard input), with a warning on stderr when it is weak. */
function readSecret(arg: string): Uint8Array {
  let text = arg;
  if (arg === '-') {
    text = readFileSync(0, 'utf8').split(/\r?\n/)[0]?.trim() ?? '';
    if (text === '') throw new UsageError('no secret on standard input');
  }
  const bytes = decodeSecret(text);
  if (bytes.length < 16) warnWeak(bytes.length);
  return bytes;
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
