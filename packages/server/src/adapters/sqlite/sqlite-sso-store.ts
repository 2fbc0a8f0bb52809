// The SsoStore in the embedded SQLite database (the tables of migration 14).

import type { SsoGrant, SsoGrantKind, SsoStore } from "../../ports/sso-store.js";
import type { SqliteHandle } from "./sqlite-handle.js";

/** A role over the store's shared handle (`SqliteStore.handle`), which has already migrated the schema. */
export class SqliteSsoStore implements SsoStore {
  private readonly q;
  private readonly take: (idHash: string, kind: SsoGrantKind, now: number) => string | undefined;

  constructor(handle: SqliteHandle) {
    const db = handle.db;
    const q = {
      put: db.prepare<[string, string, string, number]>(
        "INSERT INTO sso_grants (id_hash, kind, data, expires_at) VALUES (?, ?, ?, ?)",
      ),
      take: db
        .prepare<[string, string, number], string>(
          "DELETE FROM sso_grants WHERE id_hash = ? AND kind = ? AND expires_at > ? RETURNING data",
        )
        .pluck(),
      sweep: db.prepare<[number]>("DELETE FROM sso_grants WHERE expires_at <= ?"),
      userId: db.prepare<[string, string], string>("SELECT user_id FROM sso_identities WHERE issuer = ? AND subject = ?").pluck(),
      link: db.prepare<[string, string, string, number]>(
        "INSERT INTO sso_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
      ),
    };
    this.q = q;
    this.take = handle.db.transaction((idHash: string, kind: SsoGrantKind, now: number) => {
      const data = q.take.get(idHash, kind, now);
      q.sweep.run(now);
      return data;
    });
  }

  async putSsoGrant(grant: SsoGrant): Promise<void> {
    this.q.put.run(grant.idHash, grant.kind, grant.data, grant.expiresAt);
  }

  async takeSsoGrant(idHash: string, kind: SsoGrantKind, now: number): Promise<string | undefined> {
    return this.take(idHash, kind, now);
  }

  async ssoUserId(issuer: string, subject: string): Promise<string | undefined> {
    return this.q.userId.get(issuer, subject);
  }

  async linkSsoIdentity(link: { issuer: string; subject: string; userId: string; createdAt: number }): Promise<boolean> {
    return this.q.link.run(link.issuer, link.subject, link.userId, link.createdAt).changes === 1;
  }
}
