import { MfaError } from '../errors.js';
import { storeWith } from '../store/define.js';
import type { DeviceStore, ListingStore, MfaStore, OneTimeStore, StoreImplementation } from '../store/types.js';

/** The store as the flows call it: every method's failure is `STORE_UNAVAILABLE`; optional capabilities apart, `null` when unsupported. */
export type FlowStore = Omit<MfaStore, keyof OneTimeStore | keyof DeviceStore | keyof ListingStore> & {
  readonly oneTime: OneTimeStore | null;
  readonly devices: DeviceStore | null;
  readonly listing: ListingStore | null;
};

// SQLSTATE 42P01 (PostgreSQL), ER_NO_SUCH_TABLE 1146 and, for mfakit/mysql's
// procedures, ER_SP_DOES_NOT_EXIST 1305 (MySQL/MariaDB), and the drivers' texts.
const MISSING_TABLE = /\b(42P01|ER_NO_SUCH_TABLE|ER_SP_DOES_NOT_EXIST|no such table)\b|relation "[^"]{1,200}" does not exist|Table '[^']{1,200}' doesn't exist/;

/**
 * Wraps the store once: a rejection of any method becomes
 * `MfaError('STORE_UNAVAILABLE')` with the driver's error as `cause` (and a
 * hint when a table is missing), so a store failure can never read as an
 * answer. The store keeps `defineStore`'s checks and copies; the mapping
 * happens in the same step.
 */
export function wrapStore(given: MfaStore | StoreImplementation): FlowStore {
  const {
    putCode, beginCodeAttempt, acceptCode, deleteCode, putChallenge, spendChallenge, deleteChallenge,
    putDevice, touchDevice, listDevices, revokeDevice, revokeAllDevices,
    listEnrolled, countEnrolled,
    ...required
  } = storeWith(given, unavailable);
  const { supports } = required;
  return Object.freeze({
    ...required,
    oneTime: supports.oneTime ? ({ putCode, beginCodeAttempt, acceptCode, deleteCode, putChallenge, spendChallenge, deleteChallenge } as OneTimeStore) : null,
    devices: supports.devices ? ({ putDevice, touchDevice, listDevices, revokeDevice, revokeAllDevices } as DeviceStore) : null,
    listing: supports.listing ? ({ listEnrolled, countEnrolled } as ListingStore) : null,
  });
}

function unavailable(method: string, cause: unknown): MfaError {
  const text = cause instanceof Error ? `${(cause as { code?: unknown }).code ?? ''} ${cause.message}` : String(cause);
  const hint = MISSING_TABLE.test(text) ? ': a table is missing, run store.migrate()' : '';
  return new MfaError('STORE_UNAVAILABLE', `store.${method} failed${hint}`, { cause });
}

/** An optional capability of the store, or `INVALID_CONFIG` naming the flow that needs it. */
export function requireCapability<K extends 'oneTime' | 'devices' | 'listing'>(store: FlowStore, capability: K, flow: string): NonNullable<FlowStore[K]> {
  const c = store[capability];
  if (c === null) throw new MfaError('INVALID_CONFIG', `${flow} needs a store with supports.${capability}`);
  return c as NonNullable<FlowStore[K]>;
}
