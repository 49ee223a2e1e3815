export { constantTimeEqual } from './core/compare.js';
export { generateHotp, verifyHotp, type HotpVerifyResult, type VerifyHotpOptions } from './core/hotp.js';
export {
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
  type GenerateRecoveryCodesOptions,
  type HashRecoveryCodeOptions,
} from './core/recovery.js';
export { decodeSecret, encodeSecret, generateSecret, type GenerateSecretOptions, type Secret } from './core/secret.js';
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
  type ParseOtpauthUriOptions,
} from './core/uri.js';
export { isMfaError, MfaError, type MfaErrorCode } from './errors.js';
export type { Algorithm } from './internal/hmac.js';
export type { OtpOptions, TimeStepOptions } from './internal/options.js';
export type { RandomSource } from './internal/random.js';
export { MemoryStore } from './store/memory.js';
export type {
  AttemptReservation,
  AttemptState,
  ChallengeConsumeResult,
  ChallengeRecord,
  FactorRecord,
  MfaStore,
  ThrottlePolicy,
} from './store/types.js';
export {
  createMfa,
  type BeginEnrollmentResult,
  type ConfirmEnrollmentResult,
  type CreateMfaOptions,
  type Mfa,
  type MfaEvent,
  type MfaEventType,
  type MfaFailure,
  type MfaFailureReason,
  type MfaPolicy,
  type MfaStatus,
  type MfaTotpOptions,
  type MfaVerifyResult,
  type RequiredRule,
  type SecretKeyRing,
} from './mfa.js';
export type {
  CreateChallengeResult,
  OutgoingCode,
  SendCodeOptions,
  SendCodeResult,
  VerifyChallengeResult,
  VerifyCodeOptions,
  VerifyCodeResult,
} from './mfa.js';
