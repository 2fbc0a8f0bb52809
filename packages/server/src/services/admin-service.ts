// What administrators do (docs/protocol.md §6.11): the role check of every admin operation, the user directory,
// accounts, deactivation, password-reset links, server settings, invitations and the audit log.

import type { AdminUser, AuditEntry, Invite, PasswordResetLink, ServerSettings } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import { newSecretToken } from "../domain/secret-token.js";
import type { AdminStore } from "../ports/admin-store.js";
import type { AccountStore, UserRecord } from "../ports/store.js";
import { type AuthService, hashPassword, toUser } from "./auth-service.js";
import type { Delivery } from "./delivery.js";
import { type InviteTerms, newInvite, toInvite } from "./invitations.js";
import type { RegistrationPolicy } from "./registration-policy.js";
import type { RetentionPolicy } from "./retention-policy.js";

const DEFAULT_PAGE = 50;

export function toAdminUser(record: UserRecord): AdminUser {
  return { ...toUser(record), deactivatedAt: record.deactivatedAt, lastSeenAt: record.lastSeenAt };
}

export class AdminService {
  constructor(
    private readonly accounts: AccountStore,
    private readonly store: AdminStore,
    private readonly auth: AuthService,
    private readonly registration: RegistrationPolicy,
    private readonly retention: RetentionPolicy,
    private readonly delivery: Pick<Delivery, "userDeactivated">,
    /** Called for each session a deactivation revoked (push subscriptions end with them). */
    private readonly onSessionEnded: (sessionId: string) => void,
    private readonly config: { passwordResetTtlSeconds: number },
  ) {}

  /** The check in front of every admin operation, on every call: the role can change at any time (console, CLI). */
  async requireAdmin(userId: string): Promise<void> {
    const user = await this.accounts.getUserById(userId);
    if (user?.serverRole !== "admin" || user.deactivatedAt !== null) {
      throw new AppError("forbidden", "Only administrators of this server may do this");
    }
  }

  async listUsers(args: {
    query?: string;
    after?: string;
    limit?: number;
  }): Promise<{ users: AdminUser[]; next: string | null }> {
    const limit = args.limit ?? DEFAULT_PAGE;
    const page = await this.store.listUsers({
      limit: limit + 1,
      ...(args.query === undefined ? {} : { query: args.query }),
      ...(args.after === undefined ? {} : { after: args.after }),
    });
    const users = page.slice(0, limit).map(toAdminUser);
    return { users, next: page.length > limit ? (users.at(-1)?.username ?? null) : null };
  }

  /** Without a password, the account gets a reset link for its owner to choose one. */
  async createUser(
    actorId: string,
    args: { username: string; displayName?: string; password?: string },
  ): Promise<{ user: AdminUser; reset: PasswordResetLink | null }> {
    // An account without a password yet gets an unguessable one nobody knows.
    const passwordHash = await hashPassword(args.password ?? newSecretToken().token.slice(0, 64));
    const now = Date.now();
    const user = await this.auth.createUser({ username: args.username, displayName: args.displayName, passwordHash }, now);
    await this.store.appendAudit({
      at: now,
      actorId,
      action: "user.created",
      target: user.id,
      details: { username: user.username, withPassword: args.password !== undefined },
    });
    const reset = args.password === undefined ? await this.resetLink(actorId, user.id) : null;
    return { user: toAdminUser(user), reset };
  }

  /** Revokes every session and closes every connection of the user, on every node; their messages stay. */
  async deactivate(actorId: string, userId: string): Promise<AdminUser> {
    if (userId === actorId) {
      throw new AppError("conflict", "Administrators cannot deactivate themselves", { field: "userId" });
    }
    const now = Date.now();
    const done = await this.store.setDeactivated(userId, now, { at: now, actorId, details: {} });
    if (!done) throw new AppError("not_found", "User not found", { field: "userId" });
    if (done.changed) {
      // The store has revoked the sessions: a connection that outlives this publish can no longer authenticate anyway.
      await this.delivery.userDeactivated(userId);
      for (const sessionId of done.revokedSessions) this.onSessionEnded(sessionId);
    }
    return toAdminUser(done.user);
  }

  async reactivate(actorId: string, userId: string): Promise<AdminUser> {
    const now = Date.now();
    const done = await this.store.setDeactivated(userId, null, { at: now, actorId, details: {} });
    if (!done) throw new AppError("not_found", "User not found", { field: "userId" });
    return toAdminUser(done.user);
  }

  /** A one-time link for the user to choose a new password; it replaces any earlier link of theirs. */
  async resetLink(actorId: string, userId: string): Promise<PasswordResetLink> {
    const user = await this.accounts.getUserById(userId);
    if (!user) throw new AppError("not_found", "User not found", { field: "userId" });
    if (user.deactivatedAt !== null) {
      throw new AppError("account_deactivated", "Reactivate the account before sending it a reset link", { field: "userId" });
    }
    const secret = newSecretToken();
    const now = Date.now();
    const expiresAt = now + this.config.passwordResetTtlSeconds * 1000;
    await this.store.createPasswordReset(
      { id: secret.id, userId, secretHash: secret.hash, createdAt: now, expiresAt },
      { at: now, actorId, details: { username: user.username } },
    );
    return { userId, token: secret.token, expiresAt };
  }

  async settings(): Promise<ServerSettings> {
    const [registration, maxMessageAge] = await Promise.all([this.registration.mode(), this.retention.maxMessageAge()]);
    return { registration, maxMessageAge };
  }

  /** Every setting given, with one audit entry, in one transaction; takes effect on every node at its next read. */
  async updateSettings(actorId: string, changes: Partial<ServerSettings>): Promise<ServerSettings> {
    const values = {
      ...(changes.registration === undefined ? {} : this.registration.settingValues(changes.registration)),
      ...(changes.maxMessageAge === undefined ? {} : this.retention.settingValues(changes.maxMessageAge)),
    };
    if (Object.keys(values).length > 0) await this.store.putSettings(values, { at: Date.now(), actorId, details: {} });
    return this.settings();
  }

  async createInvite(actorId: string, args: InviteTerms): Promise<Invite> {
    const now = Date.now();
    const { record, token } = newInvite(actorId, args, now);
    await this.store.createInvite(record, { at: now, actorId, details: {} });
    return toInvite({ ...record, conversationId: null, uses: 0, revokedAt: null }, token);
  }

  async listInvites(args: { after?: string; limit?: number }): Promise<{ invites: Invite[]; next: string | null }> {
    const limit = args.limit ?? DEFAULT_PAGE;
    const page = await this.store.listInvites(args.after, limit + 1);
    const invites = page.slice(0, limit).map((r) => toInvite(r));
    return { invites, next: page.length > limit ? (invites.at(-1)?.id ?? null) : null };
  }

  async revokeInvite(actorId: string, inviteId: string): Promise<Invite> {
    const record = await this.store.revokeInvite(inviteId, { at: Date.now(), actorId, details: {} });
    if (!record) throw new AppError("not_found", "No such invitation", { field: "inviteId" });
    return toInvite(record);
  }

  async audit(args: { before?: number; limit?: number }): Promise<{ entries: AuditEntry[]; next: number | null }> {
    const limit = args.limit ?? DEFAULT_PAGE;
    const page = await this.store.listAudit(args.before, limit + 1);
    const entries = page.slice(0, limit);
    return { entries, next: page.length > limit ? (entries.at(-1)?.id ?? null) : null };
  }

  /** Every entry, newest first, a page at a time (the export streams them without holding the whole log). */
  async *auditEntries(pageSize = 500): AsyncGenerator<AuditEntry> {
    let before: number | undefined;
    for (;;) {
      const page = await this.store.listAudit(before, pageSize);
      yield* page;
      if (page.length < pageSize) return;
      before = page.at(-1)?.id;
    }
  }
}
