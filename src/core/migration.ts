import { MfaError } from '../errors.js';
import { describe } from '../internal/assert.js';
import type { Algorithm } from '../internal/hmac.js';
import { encodeSecret, isWeakSecretLength } from './secret.js';
import type { OtpauthUri } from './uri.js';

/** What {@link parseMigrationUri} returns: the accounts of one export QR code and its place in the batch. */
export interface MigrationExport {
  /** Every account the QR code holds, each as {@link parseOtpauthUri} returns it. */
  accounts: OtpauthUri[];
  /** An export of many accounts spans several QR codes: this one's index (0-based)… */
  batchIndex: number;
  /** …of how many (1 for a single code)… */
  batchSize: number;
  /** …and the id they share, to tell batches apart. */
  batchId: number;
}

const MAX_URI_CHARS = 16384;
// Field numbers of Google Authenticator's MigrationPayload and OtpParameters messages.
const ALGORITHMS: Record<number, Algorithm | undefined> = { 0: 'SHA1', 1: 'SHA1', 2: 'SHA256', 3: 'SHA512' };

/**
 * Reads a Google Authenticator export (`otpauth-migration://offline?data=…`,
 * the QR code of "Transfer accounts"): base64 of a protobuf `MigrationPayload`
 * holding each account's secret, name, issuer, algorithm, digits, type and
 * counter. Each account comes back as {@link parseOtpauthUri} would return its
 * `otpauth://` URI: the name's `Issuer:` prefix is split off like a label's,
 * weak secrets are flagged, TOTP accounts have Google's only period, 30 s.
 *
 * @param uri - the text of the export QR code
 * @returns the accounts and the batch position
 * @throws {MfaError} `INVALID_URI` when the text is not an export, the data is
 *   not base64, the protobuf is truncated or malformed, or an account has no
 *   secret or an algorithm mfakit does not compute (MD5); never another exception
 * @example
 * const { accounts } = parseMigrationUri(scannedText);
 * for (const a of accounts) console.log(a.issuer, a.account, a.weakSecret);
 */
export function parseMigrationUri(uri: string): MigrationExport {
  if (typeof uri !== 'string') throw new MfaError('INVALID_URI', `uri must be a string, got ${describe(uri)}`);
  if (uri.length > MAX_URI_CHARS) throw invalid(`longer than ${MAX_URI_CHARS} characters`);
  const m = /^otpauth-migration:\/\/offline\/?\?(.*)$/is.exec(uri.trim());
  if (!m) throw invalid('not of the form otpauth-migration://offline?data=…');
  let data: string | undefined;
  for (const pair of (m[1] as string).split('&')) {
    const eq = pair.indexOf('=');
    if (eq >= 0 && pair.slice(0, eq).toLowerCase() === 'data') data = pair.slice(eq + 1);
  }
  if (data === undefined || data === '') throw invalid('the data parameter is missing');
  const payload = new Reader(base64(data));

  const result: MigrationExport = { accounts: [], batchIndex: 0, batchSize: 1, batchId: 0 };
  while (!payload.done()) {
    const [field, wire] = payload.tag();
    if (field === 1 && wire === 2) result.accounts.push(account(new Reader(payload.bytes()), result.accounts.length + 1));
    else if (field === 3 && wire === 0) result.batchSize = payload.int();
    else if (field === 4 && wire === 0) result.batchIndex = payload.int();
    else if (field === 5 && wire === 0) result.batchId = payload.int();
    else payload.skip(wire); // version (2) and fields added later
  }
  return result;
}

/** One OtpParameters message: the `n`-th account, named so in errors. */
function account(r: Reader, n: number): OtpauthUri {
  let secret: Uint8Array | undefined;
  let name = '';
  let issuer = '';
  let algorithmCode = 0;
  let digitsCode = 0;
  let typeCode = 0;
  let counter: number | bigint = 0;
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) secret = r.bytes();
    else if (field === 2 && wire === 2) name = r.text();
    else if (field === 3 && wire === 2) issuer = r.text();
    else if (field === 4 && wire === 0) algorithmCode = r.int();
    else if (field === 5 && wire === 0) digitsCode = r.int();
    else if (field === 6 && wire === 0) typeCode = r.int();
    else if (field === 7 && wire === 0) counter = r.varint();
    else r.skip(wire);
  }
  if (secret === undefined || secret.length === 0) throw invalid(`account ${n} has no secret`);
  const algorithm = ALGORITHMS[algorithmCode];
  if (algorithm === undefined) throw invalid(`account ${n} uses ${algorithmCode === 4 ? 'MD5' : `algorithm ${algorithmCode}`}, which mfakit does not compute`);
  const digits = digitsCode === 2 ? 8 : 6;
  const type = typeCode === 1 ? 'hotp' : 'totp';
  // Google Authenticator writes the label ("Issuer:account") as the name; split it as parseOtpauthUri does.
  const issuerText = issuer.trim();
  let account = name.trim();
  let labelIssuer: string | undefined;
  const colon = issuerText !== '' && account.startsWith(`${issuerText}:`) ? issuerText.length : account.indexOf(':');
  if (colon >= 0) {
    labelIssuer = account.slice(0, colon).trim() || undefined;
    account = account.slice(colon + 1).trim();
  }
  const out: OtpauthUri = { type, account, secret: encodeSecret(secret), weakSecret: isWeakSecretLength(secret.length), algorithm, digits };
  secret.fill(0);
  const resolved = issuerText || labelIssuer;
  if (resolved) out.issuer = resolved;
  if (labelIssuer && labelIssuer !== resolved) out.labelIssuer = labelIssuer;
  if (type === 'totp') out.period = 30;
  else out.counter = counter;
  return out;
}

/** Standard or URL-safe base64, padded or not, as it appears (percent-encoded or not) in the data parameter. */
function base64(text: string): Uint8Array {
  let s: string;
  try {
    s = decodeURIComponent(text);
  } catch {
    throw invalid('the data parameter is not valid percent-encoding');
  }
  // A raw '+' that some QR readers turn into a space is base64's '+'.
  s = s.replace(/ /g, '+').replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(s) || s.length % 4 === 1) throw invalid('the data parameter is not base64');
  const bin = atob(s + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The few protobuf wire types an export uses (varint, 64-bit, length-delimited, 32-bit), read with bounds checks. */
class Reader {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}

  done(): boolean {
    return this.at >= this.buf.length;
  }

  tag(): [field: number, wire: number] {
    const key = this.int();
    return [key >>> 3, key & 7];
  }

  /** A varint as a number when it is at most 2^53−1, else a bigint (up to 2^64−1). */
  varint(): number | bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.at >= this.buf.length) throw invalid('the data is truncated (in a number)');
      const b = this.buf[this.at++] as number;
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        value &= 0xffffffffffffffffn;
        return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
      }
    }
    throw invalid('the data has a number longer than 10 bytes');
  }

  /** A varint that must fit a non-negative 32-bit field (tags, enums, batch fields). */
  int(): number {
    const v = this.varint();
    if (typeof v !== 'number' || v > 0xffffffff) throw invalid('the data has a field number or enum out of range');
    return v;
  }

  bytes(): Uint8Array {
    const length = this.int();
    if (length > this.buf.length - this.at) throw invalid('the data is truncated (in a length-delimited field)');
    const out = this.buf.slice(this.at, this.at + length);
    this.at += length;
    return out;
  }

  text(): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes());
    } catch (e) {
      if (e instanceof MfaError) throw e;
      throw invalid('the data has a name or issuer that is not UTF-8');
    }
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.bytes();
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (n > this.buf.length - this.at) throw invalid('the data is truncated (in a fixed-size field)');
      this.at += n;
    } else throw invalid(`the data is not a Google Authenticator export (protobuf wire type ${wire})`);
  }
}

const invalid = (reason: string): MfaError => new MfaError('INVALID_URI', `invalid otpauth-migration URI: ${reason}`);
