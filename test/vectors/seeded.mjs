// A seeded random source (xorshift32) for recorded fixtures: the same bytes on
// every run, so the challenges mfakit makes, and the responses recorded for
// them, repeat exactly. Never for anything but tests.
export function seeded(seed) {
  let x = seed >>> 0 || 1;
  return (buf) => {
    for (let i = 0; i < buf.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      buf[i] = x & 0xff;
    }
    return buf;
  };
}
