import { describe, expect, it, test } from 'vitest';
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

describe('MemoryStore housekeeping', () => {
  it('drops a user’s expired challenges when the next one is stored, and keeps live ones and other users’', async () => {
    const store = new MemoryStore();
    const rec = (userId: string, createdAt: number, expiresAt: number) => ({
      userId, purpose: 'sign-in', digest: 'd', destination: '', createdAt, expiresAt, attemptsLeft: 5,
    });
    await store.putChallenge('old', rec('u1', 0, 1_000), 0);
    await store.putChallenge('live', rec('u1', 500, 10_000), 0);
    await store.putChallenge('other', rec('u2', 0, 1_000), 0);
    await store.putChallenge('new', rec('u1', 2_000, 3_000), 0);
    expect(await store.consumeChallenge('old', 'sign-in', 'd', 0)).toMatchObject({ ok: false, reason: 'missing' });
    expect(await store.consumeChallenge('live', 'sign-in', 'd', 2_000)).toMatchObject({ ok: true });
    expect(await store.consumeChallenge('other', 'sign-in', 'd', 0)).toMatchObject({ ok: true });
    expect(await store.consumeChallenge('new', 'sign-in', 'd', 2_000)).toMatchObject({ ok: true });
  });
});
