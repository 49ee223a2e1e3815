/** A seeded random source for recorded fixtures (xorshift32); never for anything but tests. */
export function seeded(seed: number): <T extends Uint8Array>(buf: T) => T;
