// The storage port of running a server: the administrator role, deactivation, server settings, invitations, password
// resets, device sessions and the append-only audit log. Every administrator action commits with its audit entry.

import type { AuditAction, AuditEntry } from "@parley/protocol";
import type { SessionRecord, UserRecord } from "./store.js";

/** What an audit entry records; the store gives it its id. `actorId` null: the server console. */
export interface AuditDraft {
  at: number;
  actorId: string | null;
  action: AuditAction;
  target: string | null;
  details: Record<string, unknown>;
}

export interface InviteRecord {
  id: string;
  /** The private channel the invitation joins; null: an invitation to register on the server. */
  conversationId: string | null;
  /** SHA-256 (hex) of the invitation's secret. */
  secretHash: string;
  note: string | null;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  maxUses: number | null;
  uses: number;
  revokedAt: number | null;
}

export interface PasswordResetRecord {
  id: string;
  userId: string;
  /** SHA-256 (hex) of the link's secret. */
  secretHash: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

/** Why an invitation cannot be used (the `details.reason` of `invalid_invite`). */
export type InviteRefusal = "expired" | "revoked" | "used_up";

/** The one rule of when an invitation is usable, for the services and both adapters' conditional updates. */
export function inviteRefusal(invite: InviteRecord, now: number): InviteRefusal | undefined {
  if (invite.revokedAt !== null) return "revoked";
  if (invite.expiresAt <= now) return "expired";
  if (invite.maxUses !== null && invite.uses >= invite.maxUses) return "used_up";
  return undefined;
}

/** A page of the user directory: usernames after `after`, matching `query` (username or display name, any case). */
export interface UserPage {
  query?: string;
  after?: string;
  limit: number;
}

/** Who holds the administrator role. */
export interface ServerRoleStore {
  /**
   * Makes `userId` an administrator when it is the server's only account and no account claimed this before (the first
   * account of a fresh server). Two accounts racing on an empty server: at most one wins, possibly neither.
   */
  claimFirstAdmin(userId: string, audit: Omit<AuditDraft, "action" | "target">): Promise<boolean>;
  /** Grants or revokes the role by username (the server console); undefined for an unknown username. */
  setAdmin(username: string, admin: boolean, audit: Omit<AuditDraft, "action" | "target">): Promise<UserRecord | undefined>;
}

/** The user directory as administrators manage it. */
export interface UserAdminStore {
  /** Users ordered by username (byte order), at most `limit`. */
  listUsers(page: UserPage): Promise<UserRecord[]>;
  /**
   * Deactivates (`at` a time) or reactivates (`at` null) the user, revoking every open session when deactivating, in one
   * transaction with its audit entry. Undefined for an unknown user; an unchanged state writes nothing (no entry).
   */
  setDeactivated(
    userId: string,
    at: number | null,
    audit: Omit<AuditDraft, "action" | "target">,
  ): Promise<{ user: UserRecord; changed: boolean; revokedSessions: string[] } | undefined>;
}

/** Server-wide settings by key (values are text; the services parse them). */
export interface ServerSettingsStore {
  getSettings(keys: readonly string[]): Promise<Record<string, string>>;
  /** Writes the values in one transaction with their audit entry. */
  putSettings(values: Record<string, string>, audit: Omit<AuditDraft, "action" | "target">): Promise<void>;
}

/**
 * Invitations: to register on the server (administrators, audited) and to join a private channel (its admins; the
 * channel's, not the server's, so not in the audit log). One table, one rule of use (inviteRefusal, useInvite).
 */
export interface InviteStore {
  /** A server invitation (`conversationId` null) with its audit entry. */
  createInvite(
    invite: Omit<InviteRecord, "uses" | "revokedAt" | "conversationId">,
    audit: Omit<AuditDraft, "action" | "target">,
  ): Promise<void>;
  /** Any invitation by id, server or channel. */
  getInvite(id: string): Promise<InviteRecord | undefined>;
  /** Server invitations, newest first; `after` is the id of the last invitation of the previous page. */
  listInvites(after: string | undefined, limit: number): Promise<InviteRecord[]>;
  /** Revokes a server invitation (idempotent: an earlier revocation is kept and no entry is written); undefined when unknown. */
  revokeInvite(id: string, audit: Omit<AuditDraft, "action" | "target">): Promise<InviteRecord | undefined>;
  createChannelInvite(invite: Omit<InviteRecord, "uses" | "revokedAt"> & { conversationId: string }): Promise<void>;
  /** The channel's invitations still usable at `now` (inviteRefusal), newest first, at most `limit`. */
  listChannelInvites(conversationId: string, now: number, limit: number): Promise<InviteRecord[]>;
  /** Revokes one of the channel's invitations (idempotent); undefined when the channel has no such invitation. */
  revokeChannelInvite(conversationId: string, id: string, at: number): Promise<InviteRecord | undefined>;
  /** Counts one use if the invitation is still usable at `now` (inviteRefusal), atomically; false otherwise. */
  useInvite(id: string, now: number): Promise<boolean>;
  /** Gives back a use counted by `useInvite` whose registration failed. */
  releaseInvite(id: string): Promise<void>;
}

/** Passwords, reset links and a user's device sessions. */
export interface CredentialStore {
  /**
   * Replaces the password hash and revokes every open session of the user except `keepSessionId`; returns the revoked
   * session ids (their connections must be closed).
   */
  setPassword(userId: string, passwordHash: string, keepSessionId: string | null, at: number): Promise<string[]>;
  /** The user's sessions that are neither revoked nor expired at `now`, newest first. */
  listSessions(userId: string, now: number): Promise<SessionRecord[]>;
  /** Stores a reset link, spending the user's earlier unused ones, with its audit entry. */
  createPasswordReset(reset: Omit<PasswordResetRecord, "usedAt">, audit: Omit<AuditDraft, "action" | "target">): Promise<void>;
  getPasswordReset(id: string): Promise<PasswordResetRecord | undefined>;
  /** Marks the link used if it is unused and unexpired at `now`, atomically; false otherwise. */
  usePasswordReset(id: string, now: number): Promise<boolean>;
}

export interface AuditLog {
  /** Appends an entry of its own (actions whose change is written elsewhere: account creation). */
  appendAudit(entry: AuditDraft): Promise<void>;
  /** Newest first, entries with an id below `before` (all when absent), at most `limit`. */
  listAudit(before: number | undefined, limit: number): Promise<AuditEntry[]>;
}

/** Everything of this port; the adapters share the Store's database (connection or pool). */
export interface AdminStore
  extends ServerRoleStore,
    UserAdminStore,
    ServerSettingsStore,
    InviteStore,
    CredentialStore,
    AuditLog {}
