// The entities of running a server: registration mode, invitations, device sessions, password-reset links, the audit log.

import type { Message, Timestamp, User } from "./model.js";

/** Who may create an account with `auth.register`: anyone, holders of an invitation, or nobody (administrators only). */
export type RegistrationMode = "open" | "invite_only" | "closed";

export const REGISTRATION_MODES: readonly RegistrationMode[] = ["open", "invite_only", "closed"];

/** Server-wide settings an administrator changes at run time (`admin.settings.*`); persisted, the same on every node. */
export interface ServerSettings {
  registration: RegistrationMode;
  /** The server's maximum message age in seconds (§6.14): older entries are deleted; null keeps them forever. */
  maxMessageAge: number | null;
}

/** A user as administrators see them (`admin.users.*`). */
export interface AdminUser extends User {
  /** When the account was deactivated; null while active. */
  deactivatedAt: Timestamp | null;
  lastSeenAt: Timestamp | null;
}

/** An invitation to register while registration is `invite_only` (also accepted while `open`). */
export interface Invite {
  id: string;
  /**
   * The secret to hand to the invitee (`auth.register`'s `invite`, `channels.joinByInvite`'s `token`); only in the answer
   * that created the invitation.
   */
  token?: string;
  note: string | null;
  createdBy: string;
  createdAt: Timestamp;
  /** After this time the invitation is refused. */
  expiresAt: Timestamp;
  /** How many registrations it allows; null: any number until it expires. */
  maxUses: number | null;
  uses: number;
  revokedAt: Timestamp | null;
}

/** An invitation link of a channel (`channels.createInvite`): an invitation as above, joining `conversationId`. */
export interface ChannelInvite extends Invite {
  conversationId: string;
}

/** One of the caller's signed-in devices (`sessions.list`). */
export interface DeviceSession {
  id: string;
  deviceName: string;
  createdAt: Timestamp;
  /** When the session ends unless it is refreshed (every refresh renews it). */
  expiresAt: Timestamp;
  /** True for the session of the token that asked. */
  current: boolean;
}

/** A one-time link that lets a user choose a new password (`auth.resetPassword`). */
export interface PasswordResetLink {
  userId: string;
  /** The secret, shown once: the web app's link is `<server>/reset#<token>`. */
  token: string;
  expiresAt: Timestamp;
}

/** What an administrator (or the server console) did. */
export type AuditAction =
  | "admin.granted"
  | "admin.revoked"
  | "user.created"
  | "user.deactivated"
  | "user.reactivated"
  | "user.reset_link"
  | "settings.updated"
  | "invite.created"
  | "invite.revoked"
  | "message.removed"
  | "report.dismissed";

/** Why a message was reported (`reports.create`). */
export const REPORT_REASONS = ["spam", "harassment", "hate", "violence", "sexual", "illegal", "other"] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

/** A report of one message by one user, as its reporter sees it. */
export interface Report {
  id: string;
  conversationId: string;
  seq: number;
  reason: ReportReason;
  /** The reporter's own words (optional). */
  note: string | null;
  createdAt: number;
  /** When an administrator dealt with it; null while it is open. */
  resolvedAt: number | null;
  /** `dismissed` (admin.reports.resolve) or `removed` (the message was removed by an administrator). */
  resolution: "dismissed" | "removed" | null;
}

/** A report in the administrators' queue: the reporter, who resolved it, and the message as it is now. */
export interface AdminReport extends Report {
  reporter: User;
  resolvedBy: string | null;
  /** The reported message now (a tombstone once removed); null when it no longer exists. */
  message: Message | null;
}

/** One entry of the append-only audit log. */
export interface AuditEntry {
  /** Increasing with time: entries are listed newest first, and `before` pages back. */
  id: number;
  at: Timestamp;
  /** The administrator's user id; null for the server console (`parley-server admin grant|revoke`). */
  actorId: string | null;
  action: AuditAction;
  /** What the action was done to: a user id, an invitation id, or a setting's name. */
  target: string | null;
  /** Facts of the action (the new setting, the invitation's limits, the username); never secrets. */
  details: Record<string, unknown>;
}
