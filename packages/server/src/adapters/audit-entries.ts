// What each administrator change writes to the audit log: written once for both engines, whose adapters commit the
// entry in the same transaction as the change (ports/admin-store.ts).

import type { AuditDraft, InviteRecord, PasswordResetRecord } from "../ports/admin-store.js";
import type { UserRecord } from "../ports/store.js";

/** The actor, time and extra details of an entry; the change decides its action, target and own details. */
export type AuditContext = Omit<AuditDraft, "action" | "target">;

export const auditEntries = {
  /** The server's first account became administrator by registering. */
  firstAdmin: (audit: AuditContext, userId: string): AuditDraft => ({
    ...audit,
    action: "admin.granted",
    target: userId,
    details: { ...audit.details, firstAccount: true },
  }),

  roleChanged: (audit: AuditContext, user: Pick<UserRecord, "id" | "username">, admin: boolean): AuditDraft => ({
    ...audit,
    action: admin ? "admin.granted" : "admin.revoked",
    target: user.id,
    details: { ...audit.details, username: user.username },
  }),

  /** `at` null: reactivated; otherwise deactivated at `at`, with the number of device sessions it revoked. */
  activation: (
    audit: AuditContext,
    user: Pick<UserRecord, "id" | "username">,
    at: number | null,
    sessionsRevoked: number,
  ): AuditDraft => ({
    ...audit,
    action: at === null ? "user.reactivated" : "user.deactivated",
    target: user.id,
    details: { ...audit.details, username: user.username, ...(at === null ? {} : { sessionsRevoked }) },
  }),

  settingsUpdated: (audit: AuditContext, values: Record<string, string>): AuditDraft => ({
    ...audit,
    action: "settings.updated",
    target: Object.keys(values).join(","),
    details: { ...audit.details, ...values },
  }),

  inviteCreated: (audit: AuditContext, invite: Omit<InviteRecord, "uses" | "revokedAt">): AuditDraft => ({
    ...audit,
    action: "invite.created",
    target: invite.id,
    details: { ...audit.details, expiresAt: invite.expiresAt, maxUses: invite.maxUses, note: invite.note },
  }),

  inviteRevoked: (audit: AuditContext, id: string): AuditDraft => ({ ...audit, action: "invite.revoked", target: id }),

  resetLink: (audit: AuditContext, reset: Omit<PasswordResetRecord, "usedAt">): AuditDraft => ({
    ...audit,
    action: "user.reset_link",
    target: reset.userId,
    details: { ...audit.details, expiresAt: reset.expiresAt },
  }),
} as const;
