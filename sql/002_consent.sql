-- 002_consent.sql: remembered consent (SPEC section 9).
--
-- Browser sign-ins need no table of their own: a sign-in is a row in
-- sessions (the browser is a device) with a token of kind 4 whose digest is
-- the cookie's, so the devices page lists and signs out browsers like any
-- other device.

CREATE TABLE consents (
  user_id BIGINT UNSIGNED NOT NULL,
  client_ref BIGINT UNSIGNED NOT NULL COMMENT 'clients.id',
  scope VARCHAR(1000) NOT NULL DEFAULT ''
    COMMENT 'every scope the user has approved for the client, space-separated',
  created_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, client_ref),
  KEY ix_consents_client (client_ref)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='consent remembered per user and client';
