import { describe, test } from 'vitest';
import { MemoryStore } from '../src/index.js';
import { runStoreConformance } from '../src/testing/index.js';

// A fresh store per test and one shared store: the kit must pass both ways,
// as adapters run it against a shared database that is not empty.
describe('fresh MemoryStore per test', () => {
  runStoreConformance({ describe, test, createStore: () => new MemoryStore() });
});

describe('one shared MemoryStore', () => {
  const shared = new MemoryStore();
  runStoreConformance({ describe, test, createStore: () => shared, idPrefix: 'shared-' });
});
