// DeviceStore (optional, `supports.devices`): trusted devices, user-scoped, addressed by the digest of their token.
import type { DeviceRecord } from '../store/types.js';
import { activeFactor, type Case, concurrently, countWhere, devices, digest, equal, ok, rejects, show, T } from './kit.js';

const DAY = 86_400_000;
const TTL = 30 * DAY;

/** A device of `userId` trusted at `T` for 30 days, never seen; `over` replaces fields. */
export function deviceRecord(userId: string, over: Partial<DeviceRecord> = {}): DeviceRecord {
  return { id: digest(), userId, label: 'Firefox on Linux', createdAt: T, expiresAt: T + TTL, lastSeenAt: null, ...over };
}

/** The user's unexpired devices at `now`, sorted by id (the contract fixes no order). */
async function listed(store: Parameters<Case['run']>[0]['store'], userId: string, now: number): Promise<DeviceRecord[]> {
  return [...(await devices(store).listDevices(userId, now))].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const sortById = (list: DeviceRecord[]): DeviceRecord[] => [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

export const deviceCases: readonly Case[] = [
  {
    name: 'putDevice + touchDevice: an unexpired device is seen at now and returned as it is after the touch',
    needs: 'devices',
    async run({ store, user }) {
      const u = user();
      const d = deviceRecord(u);
      await devices(store).putDevice(d);
      equal(await devices(store).touchDevice(u, d.id, T + 5), { ...d, lastSeenAt: T + 5 }, 'touchDevice(a stored device)');
      equal(await devices(store).touchDevice(u, d.id, d.expiresAt - 1), { ...d, lastSeenAt: d.expiresAt - 1 }, 'touchDevice(one ms before expiresAt)');
      equal(await listed(store, u, T + 6), [{ ...d, lastSeenAt: d.expiresAt - 1 }], 'listDevices after two touches');
    },
  },
  {
    name: 'touchDevice: an expired device (expiresAt <= now) is deleted and answers null',
    needs: 'devices',
    async run({ store, user }) {
      const u = user();
      const d = deviceRecord(u);
      const keep = deviceRecord(u, { expiresAt: d.expiresAt + DAY });
      await devices(store).putDevice(d);
      await devices(store).putDevice(keep);
      equal(await devices(store).touchDevice(u, d.id, d.expiresAt), null, 'touchDevice(now = expiresAt)');
      equal(await devices(store).touchDevice(u, d.id, T + 1), null, 'touchDevice(an expired device, asked again at an earlier time)');
      equal(await listed(store, u, T + 1), [keep], 'listDevices at an earlier time, after the expired device was touched');
      equal(await devices(store).revokeDevice(u, d.id), false, 'revokeDevice(the expired device, deleted by touchDevice)');
    },
  },
  {
    name: 'touchDevice: a missing device, another user’s device or an unknown user answer null and change nothing',
    needs: 'devices',
    async run({ store, user }) {
      const u = user();
      const other = user();
      const theirs = deviceRecord(other);
      await devices(store).putDevice(theirs);
      await devices(store).putDevice(deviceRecord(u));
      equal(await devices(store).touchDevice(u, digest(), T + 1), null, 'touchDevice(missing device)');
      equal(await devices(store).touchDevice(u, theirs.id, T + 1), null, 'touchDevice(another user’s device id)');
      equal(await devices(store).touchDevice(user(), theirs.id, T + 1), null, 'touchDevice(unknown user)');
      equal(await listed(store, other, T + 1), [theirs], 'listDevices(the owner, after others touched its id): lastSeenAt still null');
    },
  },
  {
    name: 'listDevices: the user’s unexpired devices (expiresAt > now) only; never another user’s',
    needs: 'devices',
    async run({ store, user }) {
      const u = user();
      const other = user();
      const a = deviceRecord(u, { label: 'Laptop' });
      const b = deviceRecord(u, { label: 'Téléphone 📱', createdAt: T + 1, expiresAt: T + 2 * DAY });
      const expired = deviceRecord(u, { expiresAt: T + 10 });
      for (const d of [a, b, expired, deviceRecord(other), deviceRecord(other)]) await devices(store).putDevice(d);
      equal(await listed(store, u, T + 9), sortById([a, b, expired]), 'listDevices(now before every expiry)');
      equal(await listed(store, u, T + 10), sortById([a, b]), 'listDevices(now = expiresAt of one)');
      equal(await listed(store, u, T + 2 * DAY), [a], 'listDevices(now = expiresAt of another)');
      equal(await listed(store, user(), T), [], 'listDevices(unknown user)');
      equal((await listed(store, other, T)).length, 2, 'listDevices(the other user).length');
    },
  },
  {
    name: 'putDevice: a device with the same id replaces the stored one',
    needs: 'devices',
    async run({ store, user }) {
      const u = user();
      const d = deviceRecord(u);
      await devices(store).putDevice(d);
      await devices(store).touchDevice(u, d.id, T + 1);
      const again = { ...d, label: 'Chrome on macOS', createdAt: T + 2, expiresAt: T + 2 + TTL, lastSeenAt: null };
      await devices(store).putDevice(again);
      equal(await listed(store, u, T + 3), [again], 'listDevices after a replacing putDevice');
    },
  },
  {
    name: 'revokeDevice: deletes once, and only that user’s device',
    needs: 'devices',
    async run({ store, user }) {
      const u = user();
      const other = user();
      const mine = deviceRecord(u);
      const theirs = deviceRecord(other);
      await devices(store).putDevice(mine);
      await devices(store).putDevice(theirs);
      equal(await devices(store).revokeDevice(u, theirs.id), false, 'revokeDevice(another user’s device id)');
      equal(await listed(store, other, T), [theirs], 'listDevices(the owner, after another user revoked its id)');
      equal(await devices(store).revokeDevice(u, mine.id), true, 'revokeDevice(own device)');
      equal(await devices(store).revokeDevice(u, mine.id), false, 'revokeDevice(the same device again)');
      equal(await devices(store).touchDevice(u, mine.id, T + 1), null, 'touchDevice(a revoked device)');
      equal(await devices(store).revokeDevice(user(), digest()), false, 'revokeDevice(unknown user)');
    },
  },
  {
    name: 'revokeDevice: 20 concurrent revocations of one device succeed exactly once',
    needs: 'devices',
    async run({ store, user }) {
      const u = user();
      const d = deviceRecord(u);
      await devices(store).putDevice(d);
      const results = await concurrently(20, () => devices(store).revokeDevice(u, d.id));
      equal(countWhere(results, (r) => r === true), 1, 'revokeDevice ×20 concurrently: how many answered true');
      equal(await listed(store, u, T), [], 'listDevices after the concurrent revocations');
    },
  },
  {
    name: 'touchDevice racing revokeDevice: after the revocation no touch returns the device, and it stays revoked',
    needs: 'devices',
    async run({ store, user }) {
      const u = user();
      const d = deviceRecord(u);
      await devices(store).putDevice(d);
      const touches = concurrently(20, (i) => devices(store).touchDevice(u, d.id, T + 1 + i));
      const revoked = await devices(store).revokeDevice(u, d.id);
      equal(revoked, true, 'revokeDevice(while 20 touches run)');
      const later = await concurrently(5, (i) => devices(store).touchDevice(u, d.id, T + 100 + i));
      equal(later, [null, null, null, null, null], 'touchDevice started after the revocation resolved');
      for (const r of await touches) ok(r === null || (r.id === d.id && r.userId === u && r.lastSeenAt !== null), `touchDevice(racing the revocation): expected null or the device, got ${show(r)}`);
      equal(await listed(store, u, T + 200), [], 'listDevices after touches raced the revocation');
      equal(await devices(store).touchDevice(u, d.id, T + 201), null, 'touchDevice after every racing touch settled');
    },
  },
  {
    name: 'revokeAllDevices: deletes every device of the user and counts them; other users keep theirs',
    needs: 'devices',
    async run({ store, user }) {
      const u = user();
      const other = user();
      for (let i = 0; i < 3; i++) await devices(store).putDevice(deviceRecord(u, { createdAt: T + i }));
      const theirs = deviceRecord(other);
      await devices(store).putDevice(theirs);
      equal(await devices(store).revokeAllDevices(u), 3, 'revokeAllDevices(user with 3 devices)');
      equal(await listed(store, u, T), [], 'listDevices after revokeAllDevices');
      equal(await devices(store).revokeAllDevices(u), 0, 'revokeAllDevices(again)');
      equal(await devices(store).revokeAllDevices(user()), 0, 'revokeAllDevices(unknown user)');
      equal(await listed(store, other, T), [theirs], 'listDevices(another user) after revokeAllDevices');
    },
  },
  {
    name: 'deleteUser and removeFactor(the last active factor) delete the user’s devices; removing another factor keeps them',
    needs: 'devices',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      const d = deviceRecord(u);
      await devices(store).putDevice(d);
      equal(await store.deleteUser(u), true, 'deleteUser(user with a factor and a device)');
      equal(await listed(store, u, T), [], 'listDevices after deleteUser');
      equal(await devices(store).touchDevice(u, d.id, T + 1), null, 'touchDevice after deleteUser');

      const v = user();
      const first = await activeFactor(store, v);
      const second = await activeFactor(store, v);
      const e = deviceRecord(v);
      await devices(store).putDevice(e);
      equal(await store.removeFactor(v, first.id), { removed: true, disabled: false }, 'removeFactor(one of two active factors)');
      equal(await listed(store, v, T), [e], 'listDevices after removing a factor that was not the last');
      equal(await store.removeFactor(v, second.id), { removed: true, disabled: true }, 'removeFactor(the last active factor)');
      equal(await listed(store, v, T), [], 'listDevices after removing the last active factor');
      equal(await devices(store).touchDevice(v, e.id, T + 1), null, 'touchDevice after the user was disabled');
    },
  },
  {
    name: 'device arguments: ids, user ids, labels, times and records are checked before the store is called',
    needs: 'devices',
    async run({ store, user }) {
      const u = user();
      const s = devices(store);
      await rejects(() => s.putDevice({ ...deviceRecord(u), id: 'token-in-plaintext' }), 'putDevice(record.id not a digest)');
      await rejects(() => s.putDevice({ ...deviceRecord(u), label: '' }), 'putDevice(empty label)');
      await rejects(() => s.putDevice({ ...deviceRecord(u), label: 'x'.repeat(65) }), 'putDevice(label of 65 characters)');
      await rejects(() => s.putDevice({ ...deviceRecord(u), lastSeenAt: -1 }), 'putDevice(negative lastSeenAt)');
      await rejects(() => s.putDevice({ ...deviceRecord(u), userId: '' }), 'putDevice(empty user id)');
      await rejects(() => s.putDevice(null as never), 'putDevice(null)');
      await rejects(() => s.touchDevice(u, digest().toUpperCase(), T), 'touchDevice(upper-case digest)');
      await rejects(() => s.touchDevice(u, digest(), 1.5), 'touchDevice(now 1.5)');
      await rejects(() => s.listDevices('', T), 'listDevices(empty user id)');
      await rejects(() => s.revokeDevice(u, 'x'), 'revokeDevice(id not a digest)');
      await rejects(() => s.revokeAllDevices(5 as never), 'revokeAllDevices(a number as user id)');
      const d = deviceRecord(u, { label: 'Firefox 🦊' });
      const given = { ...d };
      await s.putDevice(given);
      given.label = 'changed by the caller';
      const touched = await s.touchDevice(u, d.id, T + 1);
      equal(touched, { ...d, lastSeenAt: T + 1 }, 'touchDevice after the caller changed the record it passed to putDevice');
      if (touched !== null) touched.label = 'changed again';
      equal(await listed(store, u, T + 2), [{ ...d, lastSeenAt: T + 1 }], 'listDevices after the caller changed a returned record');
    },
  },
];
