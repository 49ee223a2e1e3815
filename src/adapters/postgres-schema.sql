CREATE TABLE IF NOT EXISTS "mfakit_factors" (
  user_id text PRIMARY KEY,
  state text NOT NULL CHECK (state IN ('pending', 'active')),
  secret text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint,
  last_step bigint NOT NULL DEFAULT -1
);

CREATE TABLE IF NOT EXISTS "mfakit_recovery_codes" (
  user_id text NOT NULL,
  digest text NOT NULL,
  PRIMARY KEY (user_id, digest)
);

CREATE TABLE IF NOT EXISTS "mfakit_attempts" (
  user_id text PRIMARY KEY,
  failures integer NOT NULL,
  locked_until bigint,
  last_allowed boolean NOT NULL
);

CREATE TABLE IF NOT EXISTS "mfakit_challenges" (
  id text PRIMARY KEY,
  user_id text NOT NULL,
  purpose text NOT NULL,
  digest text NOT NULL,
  destination text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  attempts_left integer NOT NULL
);

CREATE INDEX IF NOT EXISTS "mfakit_challenges_user_id" ON "mfakit_challenges" (user_id);
