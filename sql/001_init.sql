-- 001_init.sql: the shared core of every dialect (SPEC section 2).
--
-- Times are unix seconds in BIGINT columns (milliseconds where a dialect
-- prints them): the binary computes every time itself, so MySQL's time zone
-- and DATETIME conversions never enter the picture, and hosts behind one
-- database agree as long as their clocks do (NTP).
--
-- Every request path is a primary-key or unique-index lookup; every table
-- has a primary key (Galera refuses writes to tables without one).

CREATE TABLE users (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT
    COMMENT 'user id; user_id (dialect B), extension_id/voip_id (dialect P)',
  username VARCHAR(191) NOT NULL
    COMMENT 'login name; case-insensitive like the legacy MySQL table',
  phone_number VARCHAR(32) NULL COMMENT 'login name of dialect B',
  email VARCHAR(191) NULL,
  firstname VARCHAR(100) NOT NULL DEFAULT '',
  lastname VARCHAR(100) NOT NULL DEFAULT '',
  password_hash VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
    COMMENT 'crypt(3) string: $y$ yescrypt, $2y$ bcrypt (legacy PHP), ...',
  access_level INT NOT NULL DEFAULT 0 COMMENT 'legacy access level',
  created_at BIGINT NOT NULL COMMENT 'unix seconds',
  remote_ip VARCHAR(45) NOT NULL DEFAULT ''
    COMMENT 'address the account was created from',
  disabled TINYINT(1) NOT NULL DEFAULT 0 COMMENT '1: every login refused',
  PRIMARY KEY (id),
  UNIQUE KEY uq_users_username (username),
  UNIQUE KEY uq_users_phone (phone_number),
  UNIQUE KEY uq_users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='people who log in';

CREATE TABLE clients (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT COMMENT 'internal reference',
  client_id VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL
    COMMENT 'public identifier, exact match',
  secret_hash VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL
    COMMENT 'sha256:<hex> for generated secrets, crypt(3) for chosen ones, NULL for public clients',
  name VARCHAR(200) NOT NULL DEFAULT '' COMMENT 'shown on the consent page',
  redirect_uris TEXT NOT NULL COMMENT 'registered redirect URIs, one per line, matched exactly',
  grants VARCHAR(255) NOT NULL DEFAULT '' COMMENT 'allowed grants, space-separated',
  scopes VARCHAR(1000) NOT NULL DEFAULT '' COMMENT 'allowed scopes, space-separated',
  is_public TINYINT(1) NOT NULL DEFAULT 0 COMMENT '1: no secret, PKCE required',
  resource_server TINYINT(1) NOT NULL DEFAULT 0
    COMMENT '1: may introspect and revoke every token',
  access_ttl BIGINT NULL COMMENT 'access-token lifetime override, seconds',
  created_at BIGINT NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_clients_client_id (client_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='OAuth clients';

CREATE TABLE sessions (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT
    COMMENT 'session_id of the legacy sessions list',
  user_id BIGINT UNSIGNED NOT NULL,
  client_ref BIGINT UNSIGNED NULL COMMENT 'clients.id; NULL for dialects L and B',
  device_info VARCHAR(200) NOT NULL DEFAULT '' COMMENT 'device-info or User-Agent',
  created_at BIGINT NOT NULL,
  last_access BIGINT NOT NULL COMMENT 'updated at most once a minute',
  revoked_at BIGINT NULL COMMENT 'set when the device is signed out',
  PRIMARY KEY (id),
  KEY ix_sessions_user (user_id, revoked_at),
  KEY ix_sessions_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='one login on one device';

CREATE TABLE tokens (
  digest BINARY(32) NOT NULL
    COMMENT 'SHA-256 of the token; of its SHA-1 for tokens imported from the legacy table',
  kind TINYINT NOT NULL COMMENT '1 access, 2 refresh, 3 authorization code',
  session_id BIGINT UNSIGNED NULL COMMENT 'NULL for client_credentials',
  client_ref BIGINT UNSIGNED NULL COMMENT 'clients.id; NULL when issued without a client',
  user_id BIGINT UNSIGNED NULL COMMENT 'NULL for client_credentials',
  scope VARCHAR(1000) NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL COMMENT 'unix milliseconds (dialect B prints them)',
  expires_at BIGINT NOT NULL COMMENT 'unix seconds',
  revoked TINYINT(1) NOT NULL DEFAULT 0,
  family BINARY(16) NULL
    COMMENT 'rotation chain: a refresh token, its successors and the code they came from',
  used_at BIGINT NULL COMMENT 'code exchanged / refresh token rotated at',
  redirect_uri VARCHAR(2000) NULL COMMENT 'codes: redirect_uri of the request',
  code_challenge VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL
    COMMENT 'codes: PKCE challenge (RFC 7636)',
  code_method TINYINT NULL COMMENT 'codes: 1 plain, 2 S256',
  dialect TINYINT NOT NULL DEFAULT 0 COMMENT 'dialect that issued it (enum dialect)',
  PRIMARY KEY (digest),
  KEY ix_tokens_session (session_id),
  KEY ix_tokens_family (family),
  KEY ix_tokens_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='access tokens, refresh tokens, codes: digests only, never the token';

CREATE TABLE login_failures (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  login VARCHAR(191) NOT NULL COMMENT 'username or phone as typed, lower-cased',
  ip VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (id),
  KEY ix_failures_login (login, created_at),
  KEY ix_failures_ip (ip, created_at),
  KEY ix_failures_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='failed logins, shared by every process (SPEC 11 throttle)';
