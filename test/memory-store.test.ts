import { describe, test } from 'vitest';
import { createMemoryStore, type MemoryStore } from '../src/store/memory.js';
import type { MfaStore } from '../src/store/types.js';
import { runStoreConformance } from '../src/testing/index.js';

// A fresh store per test and one shared store: the kit must pass both ways,
// as adapters run it against a shared database that is not empty.
describe('fresh MemoryStore per test', () => {
  runStoreConformance({ describe, test, createStore: () => createMemoryStore(), rawDump: (store) => (store as MemoryStore).dump() });
});

describe('one shared MemoryStore, tests in parallel', () => {
  const shared = createMemoryStore();
  runStoreConformance({ describe: describe.concurrent, test, createStore: () => shared, idPrefix: 'shared-', rawDump: () => shared.dump() });
});

describe('MemoryStore without its one-time records', () => {
  // The manifest gates the optional capability: its tests are skipped, the rest pass.
  const { supports: _supports, putCode: _a, beginCodeAttempt: _b, acceptCode: _c, deleteCode: _d, putChallenge: _e, spendChallenge: _f, deleteChallenge: _g, ...rest } = createMemoryStore();
  const store: MfaStore = { ...rest, supports: { oneTime: false, devices: true, listing: true } };
  runStoreConformance({ describe, test, createStore: () => store, idPrefix: 'no-one-time-' });
});

describe('MemoryStore without its devices and listing', () => {
  const inner = createMemoryStore();
  const { supports: _supports, putDevice: _a, touchDevice: _b, listDevices: _c, revokeDevice: _d, revokeAllDevices: _e, listEnrolled: _f, countEnrolled: _g, ...rest } = inner;
  const store: MfaStore = { ...rest, supports: { oneTime: true, devices: false, listing: false } };
  runStoreConformance({ describe, test, createStore: () => store, idPrefix: 'no-devices-', rawDump: () => inner.dump() });
});
