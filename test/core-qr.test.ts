// mfakit/qr: the enrolment QR code as SVG, as a data: URI and for a terminal.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from 'uqr';
import { buildOtpauthUri } from '../src/index.js';
import { qrDataUri, qrSvg, qrTerminal } from '../src/qr.js';

const uri = buildOtpauthUri({ issuer: 'ACME Co', account: 'jane@example.com', secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' });

/**
 * The dark modules the SVG path strokes, as "x,y" in module units: a reader of
 * the path commands it uses (M, m, h), independent of how the path is built.
 */
function darkModules(svg: string): Set<string> {
  const d = /<path[^>]* d="([^"]*)"/.exec(svg)?.[1] ?? '';
  const out = new Set<string>();
  let x = 0;
  let y = 0;
  for (const [, cmd, a, b] of d.matchAll(/([Mmh])(-?[\d.]+)(?:,(-?[\d.]+))?/g)) {
    const n = Number(a);
    if (cmd === 'M') [x, y] = [n, Number(b)];
    else if (cmd === 'm') [x, y] = [x + n, y + Number(b)];
    else {
      for (let i = 0; i < n; i++) out.add(`${x + i},${Math.floor(y)}`);
      x += n;
    }
  }
  return out;
}

const symbolModules = (text: string, ecc: 'L' | 'M' | 'Q' | 'H', border: number): Set<string> => {
  const expected = new Set<string>();
  encode(text, { ecc, border }).data.forEach((row, y) => row.forEach((dark, x) => dark && expected.add(`${x},${y}`)));
  return expected;
};

describe('qrSvg', () => {
  it('is one <svg> with a viewBox in modules, width and height in pixels, a background and one stroked path', () => {
    const svg = qrSvg(uri);
    const size = encode(uri, { ecc: 'M', border: 4 }).size;
    expect(svg.startsWith(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${size * 8}" height="${size * 8}" shape-rendering="crispEdges">`)).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg.match(/<svg/g)).toHaveLength(1);
    expect(svg.match(/<path/g)).toHaveLength(1);
    expect(svg).toContain(`<rect fill="white" width="${size}" height="${size}"/>`);
    expect(svg).toMatch(/<path stroke="black" d="M\d+,\d+\.5h\d+(m-?\d+,-?\d+h\d+)+"\/>/);
    const open = (svg.match(/<(svg|rect|path)\b/g) ?? []).length;
    const closed = (svg.match(/\/>|<\/svg>/g) ?? []).length;
    expect(closed).toBe(open);
  });

  it('nothing a strict Content-Security-Policy would block: no script, no style, no reference', () => {
    const svg = qrSvg(uri);
    expect(svg).not.toMatch(/<script|style=|<style|href|url\(|on[a-z]+=/i);
  });

  it('is compact: under 3 KB for a typical enrolment URI (it was one rect per module, about 13 KB)', () => {
    expect(uri.length).toBe(100);
    expect(qrSvg(uri).length).toBeLessThanOrEqual(3000);
  });

  it('draws exactly the modules of the QR symbol, inside the margin, at any option', () => {
    for (const [ecc, margin] of [['M', 4], ['L', 0], ['H', 2], ['Q', 10]] as const) {
      const svg = qrSvg(uri, { ecc, margin, moduleSize: 3 });
      const expected = symbolModules(uri, ecc, margin);
      expect(darkModules(svg)).toEqual(expected);
      const size = encode(uri, { ecc, border: margin }).size;
      for (const xy of expected) {
        const [x, y] = xy.split(',').map(Number) as [number, number];
        expect(Math.min(x, y)).toBeGreaterThanOrEqual(margin);
        expect(Math.max(x, y)).toBeLessThan(size - margin);
      }
    }
  });

  it('draws exactly the modules for random texts (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }), (text) => {
        expect(darkModules(qrSvg(text, { margin: 1 }))).toEqual(symbolModules(text, 'M', 1));
      }),
      { numRuns: 40 },
    );
  });

  it('a lone surrogate is a TypeError with its 1-based position, not a URIError; a pair is encoded', () => {
    for (const [text, position] of [['ab\uD800c', 3], ['\uDC00', 1], ['x\uD83D', 2]] as const) {
      expect(() => qrSvg(text)).toThrow(new TypeError(`uri is not well-formed Unicode: a lone surrogate at position ${position}`));
      expect(() => qrDataUri(text)).toThrow(TypeError);
      expect(() => qrTerminal(text)).toThrow(TypeError);
    }
    expect(() => qrSvg(uri, { darkColor: 'red\uD800' })).toThrow(/darkColor is not well-formed Unicode/);
    expect(darkModules(qrSvg('😀 ok'))).toEqual(symbolModules('😀 ok', 'M', 4));
  });

  it('different inputs give different codes; the same input the same code', () => {
    const other = buildOtpauthUri({ issuer: 'ACME Co', account: 'john@example.com', secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' });
    expect(qrSvg(other)).not.toBe(qrSvg(uri));
    expect(qrSvg(uri)).toBe(qrSvg(uri));
  });

  it('options: colours (escaped), module size, margin, error correction', () => {
    const svg = qrSvg(uri, { darkColor: '#112233', lightColor: 'rgb(1,2,3)"><script>', moduleSize: 2, margin: 0, ecc: 'H' });
    expect(svg).toContain('stroke="#112233"');
    expect(svg).toContain('fill="rgb(1,2,3)&#34;&#62;&#60;script&#62;"');
    expect(svg).not.toContain('<script>');
    const size = encode(uri, { ecc: 'H', border: 0 }).size;
    expect(svg).toContain(`viewBox="0 0 ${size} ${size}" width="${size * 2}" height="${size * 2}"`);
    expect(qrSvg(uri, { ecc: 'L' }).length).toBeLessThan(qrSvg(uri, { ecc: 'H' }).length);
  });

  it.each([
    [() => qrSvg(42 as never), TypeError, /uri must be a string/],
    [() => qrSvg(''), RangeError, /uri must not be empty/],
    [() => qrSvg('x'.repeat(3000)), RangeError, /too long/],
    [() => qrSvg('x'.repeat(2900), { ecc: 'H' }), RangeError, /too long/],
    [() => qrSvg(uri, { ecc: 'X' as never }), TypeError, /ecc/],
    [() => qrSvg(uri, { moduleSize: 0 }), RangeError, /moduleSize/],
    [() => qrSvg(uri, { margin: -1 }), RangeError, /margin/],
    [() => qrSvg(uri, { darkColor: 1 as never }), TypeError, /darkColor/],
    [() => qrSvg(uri, 'big' as never), TypeError, /options/],
  ])('bad input %# throws a typed error naming the parameter', (fn, type, message) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(message);
  });
});

describe('qrDataUri', () => {
  it('is the SVG as a data:image/svg+xml URI that decodes back to it', () => {
    const data = qrDataUri(uri, { ecc: 'Q' });
    expect(data.startsWith('data:image/svg+xml,%3Csvg%20')).toBe(true);
    expect(decodeURIComponent(data.slice('data:image/svg+xml,'.length))).toBe(qrSvg(uri, { ecc: 'Q' }));
  });

  it('safe in any HTML attribute and in CSS url(): no quote, space, angle bracket, ampersand, hash or parenthesis', () => {
    const data = qrDataUri(uri, { darkColor: "#0a0a0a", lightColor: "rgb(255, 255, 255)'é" });
    expect(data).toMatch(/^[A-Za-z0-9\-._~!$*+,;=:@/?%]+$/);
    expect(decodeURIComponent(data.slice(19))).toContain("fill=\"rgb(255, 255, 255)&#39;é\"");
  });

  it('bad input throws as qrSvg does', () => {
    expect(() => qrDataUri('')).toThrow(RangeError);
    expect(() => qrDataUri(uri, { moduleSize: 0 })).toThrow(/moduleSize/);
  });
});

/** rsvg-convert (librsvg2-bin) and zbarimg (zbar-tools): a real renderer and a real decoder. CI installs both (.ci/run). */
const hasTool = (tool: string): boolean => spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;
const DECODER = hasTool('rsvg-convert') && hasTool('zbarimg');
if (!DECODER && process.env.CI) throw new Error('rsvg-convert or zbarimg is missing: .ci/run installs librsvg2-bin and zbar-tools');

(DECODER ? describe : describe.skip)('a real decoder reads the SVG back (rsvg-convert → zbarimg)', () => {
  function decode(svg: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'mfakit-qr-'));
    try {
      writeFileSync(join(dir, 'qr.svg'), svg);
      const png = spawnSync('rsvg-convert', [join(dir, 'qr.svg'), '-o', join(dir, 'qr.png')], { encoding: 'utf8' });
      if (png.status !== 0) throw new Error(`rsvg-convert: ${png.stderr}`);
      const r = spawnSync('zbarimg', ['--quiet', '--raw', join(dir, 'qr.png')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`zbarimg found no code (exit ${r.status}): ${r.stderr}`);
      return r.stdout.replace(/\n$/, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const long = buildOtpauthUri({
    issuer: 'Example Corporation International',
    account: 'firstname.lastname@subsidiary.example.com',
    secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
    algorithm: 'SHA512',
    digits: 8,
  });

  it.each<[string, string, Parameters<typeof qrSvg>[1]]>([
    ['a typical enrolment URI', uri, {}],
    ['a long URI at level H', long, { ecc: 'H' }],
    ['small modules, the minimum margin the decoder needs', uri, { moduleSize: 3, margin: 2 }],
    ['custom colours', uri, { darkColor: '#1a237e', lightColor: '#fffde7' }],
  ])('%s', (_name, text, opts) => {
    expect(decode(qrSvg(text, opts))).toBe(text);
  });

  it('the SVG behind qrDataUri', () => {
    const data = qrDataUri(uri);
    expect(decode(decodeURIComponent(data.slice('data:image/svg+xml,'.length)))).toBe(uri);
  });
});

describe('qrTerminal', () => {
  it('two modules per row of half blocks, square, differing by input', () => {
    const text = qrTerminal(uri);
    const lines = text.split('\n');
    const size = encode(uri, { ecc: 'M', border: 2 }).size;
    expect(lines).toHaveLength(Math.ceil(size / 2));
    for (const line of lines) {
      expect([...line]).toHaveLength(size);
      expect(line).toMatch(/^[ █▀▄]+$/);
    }
    expect(qrTerminal(`${uri}&x=1`)).not.toBe(text);
  });

  it('bad input throws a typed error', () => {
    expect(() => qrTerminal('')).toThrow(RangeError);
    expect(() => qrTerminal(null as never)).toThrow(TypeError);
    expect(() => qrTerminal(uri, { margin: 101 })).toThrow(/margin/);
  });
});
