import { encode, renderUnicodeCompact } from 'uqr';
import { assertInteger, assertOptions, assertString } from './internal/assert.js';

/** Error-correction level of a QR code (ISO/IEC 18004): how much of the symbol may be damaged and still read. */
export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';

/** Options of {@link qrSvg} and {@link qrDataUri}. */
export interface QrSvgOptions {
  /**
   * Error-correction level. `M` survives 15% damage, enough for a screen; a
   * higher level makes the symbol denser for the same URI.
   * @default 'M'
   */
  ecc?: QrErrorCorrection;
  /** Side of one module in pixels: sets `width` and `height` (the `viewBox` is in modules, so it scales). @default 8 */
  moduleSize?: number;
  /** Light margin around the symbol, in modules. ISO/IEC 18004 asks for a quiet zone of 4. @default 4 */
  margin?: number;
  /** Fill of dark modules, any SVG colour. @default 'black' */
  darkColor?: string;
  /** Fill of the background, any SVG colour. @default 'white' */
  lightColor?: string;
}

/** Options of {@link qrTerminal}. */
export interface QrTerminalOptions {
  /** Error-correction level. @default 'M' */
  ecc?: QrErrorCorrection;
  /** Light margin around the symbol, in modules. @default 2 */
  margin?: number;
}

const ECC: readonly QrErrorCorrection[] = ['L', 'M', 'Q', 'H'];
// Version 40 with level L holds 2,953 bytes; a longer text can never fit.
const MAX_QR_BYTES = 2953;

/**
 * Renders an `otpauth://` URI (or any text) as a QR code in SVG, for the
 * enrolment page: one `<rect>` for the background and one `<path>` for the dark
 * modules, stroked as runs along each row (about 2.5 KB for a typical URI). The
 * `viewBox` is in modules, so it scales; `width` and `height` are
 * `moduleSize` × modules. No script, no `style` attribute, no external
 * reference. The SVG carries the secret: serve it only to its user, over HTTPS,
 * and never cache it publicly.
 *
 * @param uri - the text to encode, usually from `buildOtpauthUri`; well-formed Unicode
 * @param opts - `ecc` (default 'M'), `moduleSize` (8), `margin` (4), `darkColor`, `lightColor`
 * @returns a standalone `<svg>` element
 * @throws {TypeError} when `uri` is not a string or not well-formed Unicode (a lone surrogate, which has no
 *   UTF-8 form: the message gives its 1-based position), or an option has the wrong type
 * @throws {RangeError} when `uri` is empty or too long for a QR code, or an option is out of range
 * @example
 * import { qrSvg } from 'mfakit/qr';
 * const svg = qrSvg(buildOtpauthUri({ issuer: 'ACME', account: 'jane@example.com', secret }));
 */
export function qrSvg(uri: string, opts: QrSvgOptions = {}): string {
  assertOptions(opts);
  checkText(uri);
  const moduleSize = opts.moduleSize ?? 8;
  assertInteger(moduleSize, 'moduleSize', 1, 100);
  const margin = opts.margin ?? 4;
  assertInteger(margin, 'margin', 0, 100);
  const darkColor = opts.darkColor ?? 'black';
  const lightColor = opts.lightColor ?? 'white';
  assertWellFormed(darkColor, 'darkColor');
  assertWellFormed(lightColor, 'lightColor');
  const ecc = resolveEcc(opts.ecc);
  const { size, data } = render(() => encode(uri, { ecc, border: margin }));
  const px = size * moduleSize;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${px}" height="${px}" shape-rendering="crispEdges">` +
    `<rect fill="${attr(lightColor)}" width="${size}" height="${size}"/>` +
    `<path stroke="${attr(darkColor)}" d="${modulePath(data)}"/></svg>`
  );
}

/**
 * The QR code of {@link qrSvg} as a `data:image/svg+xml` URI, for
 * `<img src>` or CSS: nothing inline to allow in a strict Content-Security-Policy
 * beyond `img-src data:` (the SVG has no script and no style attribute, and an
 * SVG loaded as an image cannot run script anyway). The same warning applies:
 * the URI carries the secret.
 *
 * @param uri - the text to encode, usually from `buildOtpauthUri`
 * @param opts - as {@link qrSvg}
 * @returns `data:image/svg+xml,` followed by the percent-encoded SVG
 * @throws {TypeError|RangeError} as {@link qrSvg}
 * @example
 * import { qrDataUri } from 'mfakit/qr';
 * res.send(`<img src="${qrDataUri(uri)}" alt="QR code for your authenticator app" width="264" height="264">`);
 */
export function qrDataUri(uri: string, opts: QrSvgOptions = {}): string {
  // Percent-encodes all but URI characters that are safe in any HTML attribute and in CSS url():
  // no quote, no space, no '<', '&' or '#'. The path (letters, digits, commas) stays as it is.
  const svg = qrSvg(uri, opts);
  const encoded = svg.replace(/[^A-Za-z0-9\-._~!$*+,;=:@/?]/gu, (c) => encodeURIComponent(c).replace(/['()]/g, (q) => `%${q.charCodeAt(0).toString(16).toUpperCase()}`));
  return `data:image/svg+xml,${encoded}`;
}

/**
 * The dark modules as one stroked path, one unit wide: each horizontal run of
 * dark modules is a line `h{n}` through the middle of its row, reached by a
 * relative move from the end of the previous run. Half the size of a
 * rectangle per run, and the shape is exactly the same squares.
 */
function modulePath(data: readonly (readonly boolean[])[]): string {
  let d = '';
  let px = 0;
  let py = 0;
  data.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) {
      if (!row[x]) continue;
      let end = x + 1;
      while (row[end]) end++;
      d += d === '' ? `M${x},${y + 0.5}` : `m${x - px},${y - py}`;
      d += `h${end - x}`;
      px = end;
      py = y;
      x = end;
    }
  });
  return d;
}

const attr = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Renders text as a QR code of Unicode half blocks for a terminal, two
 * modules per character row. Dark modules are spaces, so it scans on the
 * usual light-on-dark terminal.
 *
 * @param uri - the text to encode
 * @param opts - `ecc` (default 'M'), `margin` (2)
 * @returns the QR code as lines joined by `\n`
 * @throws {TypeError} when `uri` is not a string or an option has the wrong type
 * @throws {RangeError} when `uri` is empty or too long for a QR code, or an option is out of range
 * @example
 * process.stdout.write(qrTerminal(uri) + '\n');
 */
export function qrTerminal(uri: string, opts: QrTerminalOptions = {}): string {
  assertOptions(opts);
  checkText(uri);
  const margin = opts.margin ?? 2;
  assertInteger(margin, 'margin', 0, 100);
  return render(() => renderUnicodeCompact(uri, { ecc: resolveEcc(opts.ecc), border: margin }));
}

function checkText(uri: unknown): asserts uri is string {
  assertString(uri, 'uri');
  if (uri.length === 0) throw new RangeError('uri must not be empty');
  if (uri.length > MAX_QR_BYTES) throw new RangeError(`uri is too long for a QR code (over ${MAX_QR_BYTES} characters)`);
  assertWellFormed(uri, 'uri');
}

/** A lone surrogate has no UTF-8 form: the QR encoder would fail on it with a bare URIError. */
function assertWellFormed(value: unknown, name: string): asserts value is string {
  assertString(value, name);
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(value);
  if (lone !== null) throw new TypeError(`${name} is not well-formed Unicode: a lone surrogate at position ${lone.index + 1}`);
}

function resolveEcc(ecc: unknown): QrErrorCorrection {
  if (ecc === undefined) return 'M';
  if (typeof ecc !== 'string' || !ECC.includes(ecc as QrErrorCorrection)) {
    throw new TypeError(`ecc must be one of ${ECC.join(', ')}`);
  }
  return ecc as QrErrorCorrection;
}

function render<T>(draw: () => T): T {
  try {
    return draw();
  } catch (e) {
    // uqr reports a text that does not fit at the chosen level as a bare RangeError.
    if (e instanceof RangeError) throw new RangeError('uri is too long for a QR code at this error-correction level', { cause: e });
    throw e;
  }
}
