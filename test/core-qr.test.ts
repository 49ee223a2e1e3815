// mfakit/qr: the enrolment QR code as SVG and for a terminal.
import { describe, expect, it } from 'vitest';
import { encode } from 'uqr';
import { buildOtpauthUri } from '../src/index.js';
import { qrSvg, qrTerminal } from '../src/qr.js';

const uri = buildOtpauthUri({ issuer: 'ACME Co', account: 'jane@example.com', secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' });

/** The dark modules drawn in the SVG path, as "x,y" in module units. */
function darkModules(svg: string, moduleSize: number): Set<string> {
  const d = /<path[^>]* d="([^"]*)"/.exec(svg)?.[1] ?? '';
  return new Set([...d.matchAll(/M(\d+),(\d+)/g)].map((m) => `${Number(m[1]) / moduleSize},${Number(m[2]) / moduleSize}`));
}

describe('qrSvg', () => {
  it('is one well-formed <svg> with a viewBox, a background and a path', () => {
    const svg = qrSvg(uri);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 (\d+) \1">/);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg.match(/<svg/g)).toHaveLength(1);
    expect(svg).toMatch(/<rect fill="white" width="\d+" height="\d+"\/>/);
    expect(svg).toMatch(/<path fill="black" d="(M\d+,\d+h\d+v\d+h-\d+z)+"\/>/);
    // Every tag closes: a parser-free check that nothing is left open.
    const open = (svg.match(/<(svg|rect|path)\b/g) ?? []).length;
    const closed = (svg.match(/\/>|<\/svg>/g) ?? []).length;
    expect(closed).toBe(open);
  });

  it('draws exactly the modules of the QR symbol, inside the 4-module margin', () => {
    const moduleSize = 8;
    const svg = qrSvg(uri, { moduleSize });
    const symbol = encode(uri, { ecc: 'M', border: 4 });
    const expected = new Set<string>();
    symbol.data.forEach((row, y) => row.forEach((dark, x) => dark && expected.add(`${x},${y}`)));
    expect(darkModules(svg, moduleSize)).toEqual(expected);
    expect(svg).toContain(`viewBox="0 0 ${symbol.size * moduleSize} ${symbol.size * moduleSize}"`);
    for (const xy of expected) {
      const [x, y] = xy.split(',').map(Number) as [number, number];
      expect(Math.min(x, y)).toBeGreaterThanOrEqual(4);
      expect(Math.max(x, y)).toBeLessThan(symbol.size - 4);
    }
  });

  it('different inputs give different codes; the same input the same code', () => {
    const other = buildOtpauthUri({ issuer: 'ACME Co', account: 'john@example.com', secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' });
    expect(qrSvg(other)).not.toBe(qrSvg(uri));
    expect(qrSvg(uri)).toBe(qrSvg(uri));
  });

  it('options: colours (escaped), module size, margin, error correction', () => {
    const svg = qrSvg(uri, { darkColor: '#112233', lightColor: 'rgb(1,2,3)"><script>', moduleSize: 2, margin: 0, ecc: 'H' });
    expect(svg).toContain('fill="#112233"');
    expect(svg).not.toContain('<script>');
    const size = encode(uri, { ecc: 'H', border: 0 }).size;
    expect(svg).toContain(`viewBox="0 0 ${size * 2} ${size * 2}"`);
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
