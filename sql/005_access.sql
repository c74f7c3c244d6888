-- 005_access.sql: deleting a client revokes its tokens (SPEC section 14).
--
-- `client del` revokes every token of the client in the transaction that
-- deletes it: `UPDATE tokens ... WHERE client_ref = ?`. Without an index
-- that statement reads, and under REPEATABLE READ keeps locked until its
-- commit, every row of the table (10 million at the sizes SPEC 2 names),
-- which would stop every login and refresh meanwhile. With it, the update
-- reads the client's own rows only. Added in place (InnoDB online DDL):
-- reads and writes go on while it is built.

ALTER TABLE tokens ADD KEY ix_tokens_client (client_ref);
