// Trusted devices: "trust this browser for 30 days". A 256-bit token for the
// host's cookie, stored only as a digest bound to the user.
import { describe } from '../internal/assert.js';
import { assertLabel, assertUserId } from '../internal/ids.js';
import { fillRandom } from '../internal/random.js';
import type { DeviceRecord } from '../store/types.js';
import type { DeviceInfo, Mfa } from '../types.js';
import type { ResolvedConfig } from './config.js';
import { digest } from './digest.js';
import type { Reverify } from './reverify.js';
import { toBase64Url } from './secrets.js';
import { requireCapability } from './store.js';

const DAY = 86_400_000;
const DEFAULT_TTL_MS = 30 * DAY;
const MAX_TTL_MS = 400 * DAY;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const DEVICE_ID = /^[0-9a-f]{64}$/;

const deviceInfo = (d: DeviceRecord): DeviceInfo => ({ id: d.id, label: d.label, createdAt: d.createdAt, lastSeenAt: d.lastSeenAt, expiresAt: d.expiresAt });

/** rememberDevice, checkDevice, listDevices, revokeDevice and revokeAllDevices of {@link Mfa}. */
export function deviceFlows(cfg: ResolvedConfig, reverify: Reverify): Pick<Mfa, 'rememberDevice' | 'checkDevice' | 'listDevices' | 'revokeDevice' | 'revokeAllDevices'> {
  // The user is in the digest too: a token never names a device of another user.
  const deviceId = (userId: string, token: string): string => digest(cfg.pepper, 'mfakit/device', userId, token);
  const store = (flow: string) => requireCapability(cfg.store, 'devices', flow);
  const assertDeviceId = (id: unknown): void => {
    if (typeof id !== 'string' || !DEVICE_ID.test(id)) throw new TypeError(`deviceId must be the id listDevices returns, got ${describe(id)}`);
  };

  return {
    async rememberDevice(userId, opts) {
      assertUserId(userId);
      if (typeof opts !== 'object' || opts === null) throw new TypeError(`options must be an object { label, ttlMs? }, got ${describe(opts)}`);
      assertLabel(opts.label);
      const ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
      if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs < 60_000 || ttlMs > MAX_TTL_MS) {
        throw new RangeError(`ttlMs must be an integer from 60000 (1 min) to ${MAX_TTL_MS} (400 days), got ${describe(ttlMs)}`);
      }
      const devices = store('rememberDevice');
      const now = cfg.clock();
      const bytes = new Uint8Array(32);
      fillRandom(bytes, cfg.random);
      const token = toBase64Url(bytes);
      bytes.fill(0);
      const id = deviceId(userId, token);
      const expiresAt = now + ttlMs;
      await devices.putDevice({ id, userId, label: opts.label, createdAt: now, expiresAt, lastSeenAt: null });
      cfg.emit(() => ({ type: 'device.trusted', userId, at: now, deviceId: id }));
      return { token, deviceId: id, expiresAt };
    },

    async checkDevice(userId, token) {
      assertUserId(userId);
      const devices = store('checkDevice');
      // A 256-bit token cannot be guessed: an unknown one costs no attempt, and a malformed one no store call.
      if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return { ok: false, reason: 'malformed' };
      const now = cfg.clock();
      const device = await devices.touchDevice(userId, deviceId(userId, token), now);
      return device === null ? { ok: false, reason: 'expired' } : { ok: true, deviceId: device.id, expiresAt: device.expiresAt };
    },

    async listDevices(userId) {
      assertUserId(userId);
      const devices = store('listDevices');
      const now = cfg.clock();
      return (await devices.listDevices(userId, now)).sort((a, b) => a.createdAt - b.createdAt).map(deviceInfo);
    },

    async revokeDevice(userId, id) {
      assertUserId(userId);
      assertDeviceId(id);
      const devices = store('revokeDevice');
      const now = cfg.clock();
      const revoked = await devices.revokeDevice(userId, id);
      if (revoked) cfg.emit(() => ({ type: 'device.revoked', userId, at: now, deviceId: id }));
      return revoked;
    },

    async revokeAllDevices(userId, opts) {
      assertUserId(userId);
      const devices = store('revokeAllDevices');
      const now = cfg.clock();
      const refused = await reverify(userId, opts, now);
      if (refused !== null) return refused;
      const revoked = await devices.revokeAllDevices(userId);
      if (revoked > 0) cfg.emit(() => ({ type: 'device.revoked', userId, at: now, all: true }));
      return { ok: true, revoked };
    },
  };
}
