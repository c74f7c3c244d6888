-- 004_web.sql: the absolute lifetime of a refresh-token family (SPEC 14).
--
-- A refresh token slides (each rotation gives refresh_token_ttl again), but
-- never past the end of its family: refresh_max_ttl after the family's first
-- refresh token. Every refresh token carries that end, copied on rotation,
-- so the check needs no other row (older rows of a family are purged).
-- NULL on rows issued before this migration: the family then ends
-- refresh_max_ttl after the rotation that first meets it.

ALTER TABLE tokens
  ADD COLUMN family_expires_at BIGINT NULL
    COMMENT 'refresh tokens: unix seconds when the whole family ends (refresh_max_ttl)';
