-- 003_throttle.sql: the throttle of SPEC section 14, atomic and per account,
-- and client authentication throttled too; the hash methods still stored
-- (equal cost).
--
-- A login attempt is recorded before its password is verified. Attempts on
-- one key are serialised on a row of throttle_locks (locked in the same
-- transaction that counts the failures and records the attempt), so
-- concurrent attempts cannot all see the same count: on one server by the
-- row lock, on Galera by the certification conflict on the row (1213, rerun
-- by db_tx()). See src/core/throttle.h.

-- Failures of one account share one counter whatever name was typed
-- (username or phone number); unknown logins keep the typed string.
ALTER TABLE login_failures
  ADD COLUMN user_id BIGINT UNSIGNED NULL
    COMMENT 'the account the login resolved to; NULL for unknown logins'
    AFTER login,
  ADD KEY ix_failures_user (user_id, created_at);

CREATE TABLE client_failures (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  client_id VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL
    COMMENT 'as presented (unknown ones too), cut to 191 characters',
  ip VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (id),
  KEY ix_client_failures_pair (ip, client_id, created_at),
  KEY ix_client_failures_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='failed client authentications (SPEC 14 throttle)';

-- One row per throttle key, locked by every attempt on that key:
--   kind 'i' ip ''        logins from an address
--   kind 'u' ''  user id  logins of an account
--   kind 'n' ''  name     logins of an unknown name (lower-cased)
--   kind 'a' ip ''        client authentications from an address
--   kind 'p' ip client_id client authentications of a client from an address
-- locked_until is kept for the client kinds, so a successful client
-- authentication learns of a lock inside a statement it runs anyway.
CREATE TABLE throttle_locks (
  kind CHAR(1) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  ip VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  seq BIGINT UNSIGNED NOT NULL DEFAULT 0
    COMMENT 'bumped by every attempt: the write that serialises them',
  locked_until BIGINT NOT NULL DEFAULT 0
    COMMENT 'client kinds: unix seconds the key stays locked; 0 free',
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (kind, ip, name),
  KEY ix_throttle_locks_updated (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='one row per throttle key (SPEC 14)';

-- The method and parameters of each stored hash, without its salt
-- ("$y$j9T", "$2y$10", "$6$rounds=9000", "$1", "" for '*' and the like):
-- SELECT DISTINCT over this index reads one entry per distinct value
-- ("Using index for group-by"), so learning which hash schemes the table
-- still holds is cheap at any table size (core/user.c, equal cost).
-- A plain column that the server writes with password_hash (src/db.c,
-- HASH_METHOD, the same expression as below), not a generated one:
-- MariaDB 10.11's CHECKSUM TABLE reads a generated column's bytes
-- unevaluated, so two tables holding the same rows checksum differently,
-- and comparing CHECKSUM TABLE across Galera nodes (tests/galera) would
-- report a divergence that is not there.
ALTER TABLE users
  ADD COLUMN hash_method VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin
    NOT NULL DEFAULT ''
    COMMENT 'method and cost of password_hash, without the salt; written with it',
  ADD KEY ix_users_hash_method (hash_method);

UPDATE users SET hash_method = LEFT(IF(password_hash LIKE '$y$%' OR password_hash LIKE '$gy$%' OR
    password_hash LIKE '$2_$%' OR password_hash LIKE '$5$rounds=%' OR
    password_hash LIKE '$6$rounds=%',
    SUBSTRING_INDEX(password_hash, '$', 3),
    IF(password_hash LIKE '$%', SUBSTRING_INDEX(password_hash, '$', 2),
      '')), 32);
