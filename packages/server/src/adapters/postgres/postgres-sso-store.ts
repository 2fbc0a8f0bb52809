// The SsoStore in PostgreSQL (the tables of migration 14).

import type { Pool } from "pg";
import type { SsoGrant, SsoGrantKind, SsoStore } from "../../ports/sso-store.js";
import type { PostgresHandle } from "./postgres-handle.js";

/** A role over the store's shared handle (`PostgresStore.handle`: its pool, bigint parsing, timeouts and schema). */
export class PostgresSsoStore implements SsoStore {
  private readonly pool: Pool;

  constructor(handle: PostgresHandle) {
    this.pool = handle.pool;
  }

  async putSsoGrant(grant: SsoGrant): Promise<void> {
    await this.pool.query("INSERT INTO sso_grants (id_hash, kind, data, expires_at) VALUES ($1, $2, $3, $4)", [
      grant.idHash,
      grant.kind,
      grant.data,
      grant.expiresAt,
    ]);
  }

  async takeSsoGrant(idHash: string, kind: SsoGrantKind, now: number): Promise<string | undefined> {
    // One statement: the row is deleted by exactly one caller, whichever node it runs on.
    const taken = await this.pool.query<{ data: string }>(
      "DELETE FROM sso_grants WHERE id_hash = $1 AND kind = $2 AND expires_at > $3 RETURNING data",
      [idHash, kind, now],
    );
    await this.pool.query("DELETE FROM sso_grants WHERE expires_at <= $1", [now]);
    return taken.rows[0]?.data;
  }

  async ssoUserId(issuer: string, subject: string): Promise<string | undefined> {
    const result = await this.pool.query<{ user_id: string }>(
      "SELECT user_id FROM sso_identities WHERE issuer = $1 AND subject = $2",
      [issuer, subject],
    );
    return result.rows[0]?.user_id;
  }

  async linkSsoIdentity(link: { issuer: string; subject: string; userId: string; createdAt: number }): Promise<boolean> {
    const result = await this.pool.query(
      "INSERT INTO sso_identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
      [link.issuer, link.subject, link.userId, link.createdAt],
    );
    return result.rowCount === 1;
  }
}
