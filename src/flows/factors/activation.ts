// What every confirmation of a pending factor ends with, whatever its kind.
import type { Activated, RecoverySet } from '../../store/types.js';
import type { ResolvedConfig } from '../config.js';

/** A confirmation that matched: the pending factor, the counter it claims, its `meta` from then on, and the recovery set stored with a user's first factor. */
export interface ConfirmMatch {
  factorId: string;
  counter: number;
  meta: string;
  recovery: RecoverySet;
}

/** The decisive write of a confirmation: the factor becomes active, in one store step (see `FactorStore.activateFactor`). */
export const activateMatch =
  (cfg: ResolvedConfig) =>
  (userId: string, m: ConfirmMatch, now: number): Promise<Activated | null> =>
    cfg.store.activateFactor(userId, m.factorId, { counter: m.counter, now, meta: m.meta, recovery: m.recovery });
