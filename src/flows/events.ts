import type { MfaEvent } from '../types.js';

/**
 * Hands an event to the host's sink. `build` runs only when there is a sink,
 * so a host without `onEvent` pays nothing for events on the sign-in path.
 */
export type Emit = (build: () => MfaEvent) => void;

/** An {@link Emit} over the host's `onEvent`: its exceptions and rejections are dropped, never breaking a flow. */
export function createEmitter(onEvent: ((event: MfaEvent) => void | Promise<void>) | undefined): Emit {
  if (onEvent === undefined) return () => undefined;
  return (build) => {
    try {
      const r = onEvent(build()) as unknown;
      if (r instanceof Promise) r.catch(() => undefined);
    } catch {
      // An audit sink failing must not turn a sign-in into an error.
    }
  };
}
