// Resolves the peer libraries from this folder's own node_modules, so they never
// enter mfakit's dependencies or lockfile.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export * as otpauth from 'otpauth';
export * as otplib from 'otplib';
export * as oslo from '@oslojs/otp';
export const speakeasy = require('speakeasy');
export const notp = require('notp');

/** Installed versions, read from each package's own package.json. */
export function versions() {
  const names = ['otpauth', 'otplib', 'speakeasy', 'notp', '@oslojs/otp'];
  // Read from disk: not every package exports './package.json'.
  const version = (n) => JSON.parse(readFileSync(new URL(`node_modules/${n}/package.json`, import.meta.url), 'utf8')).version;
  return Object.fromEntries(names.map((n) => [n, version(n)]));
}
