import { renderSVG, renderUnicodeCompact } from 'uqr';
import { assertInteger, assertOptions, assertString } from './internal/assert.js';

/** Error-correction level of a QR code (ISO/IEC 18004): how much of the symbol may be damaged and still read. */
export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';

/** Options of {@link qrSvg}. */
export interface QrSvgOptions {
  /**
   * Error-correction level. `M` survives 15% damage, enough for a screen; a
   * higher level makes the symbol denser for the same URI.
   * @default 'M'
   */
  ecc?: QrErrorCorrection;
  /** Side of one module, in SVG user units (the SVG has a `viewBox`, so it scales). @default 8 */
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
 * enrolment page. The SVG carries the secret: serve it only to its user, over
 * HTTPS, and never cache it publicly.
 *
 * @param uri - the text to encode, usually from `buildOtpauthUri`
 * @param opts - `ecc` (default 'M'), `moduleSize` (8), `margin` (4), `darkColor`, `lightColor`
 * @returns a standalone `<svg>` element with a `viewBox`
 * @throws {TypeError} when `uri` is not a string or an option has the wrong type
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
  assertString(darkColor, 'darkColor');
  assertString(lightColor, 'lightColor');
  return render(() =>
    renderSVG(uri, { ecc: resolveEcc(opts.ecc), border: margin, pixelSize: moduleSize, blackColor: darkColor, whiteColor: lightColor }),
  );
}

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
}

function resolveEcc(ecc: unknown): QrErrorCorrection {
  if (ecc === undefined) return 'M';
  if (typeof ecc !== 'string' || !ECC.includes(ecc as QrErrorCorrection)) {
    throw new TypeError(`ecc must be one of ${ECC.join(', ')}`);
  }
  return ecc as QrErrorCorrection;
}

function render(draw: () => string): string {
  try {
    return draw();
  } catch (e) {
    // uqr reports a text that does not fit at the chosen level as a bare RangeError.
    if (e instanceof RangeError) throw new RangeError('uri is too long for a QR code at this error-correction level', { cause: e });
    throw e;
  }
}
