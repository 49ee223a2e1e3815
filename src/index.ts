export { registerAlgorithms } from './core/algorithm.js';
export { constantTimeEqual } from './core/compare.js';
export { parseMigrationUri, type MigrationExport } from './core/migration.js';
export { generateHotp, verifyHotp, type HotpVerifyResult, type VerifyHotpOptions } from './core/hotp.js';
export {
  formatRecoveryCodesText,
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
  type GenerateRecoveryCodesOptions,
  type RecoveryCodesTextOptions,
  type HashRecoveryCodeOptions,
} from './core/recovery.js';
export { decodeSecret, encodeSecret, formatSecret, generateSecret, type GenerateSecretOptions, type Secret } from './core/secret.js';
export {
  createTotpVerifier,
  generateTotp,
  timeStep,
  verifyTotp,
  type TotpCheckOptions,
  type TotpOptions,
  type TotpVerifier,
  type TotpVerifierOptions,
  type TotpVerifyResult,
  type TotpWindow,
  type VerifyTotpOptions,
} from './core/totp.js';
export {
  buildOtpauthUri,
  parseOtpauthUri,
  type OtpauthUri,
  type OtpauthUriParams,
} from './core/uri.js';
export { isMfaError, MfaError, type MfaErrorCode } from './errors.js';
export type { Algorithm, ExtraAlgorithm, FastAlgorithm, OtpAlgorithm } from './internal/hmac.js';
export type { OtpOptions, TimeStepOptions } from './internal/options.js';
export type { RandomSource } from './internal/random.js';
export { httpStatusFor, type HttpAnswer } from './flows/http.js';
export { createMfa } from './flows/index.js';
export { defineStore, isDefinedStore } from './store/define.js';
export { createMemoryStore, type MemoryStore } from './store/memory.js';
export type * from './store/types.js';
export type * from './types.js';
