// Running a server through the SDK (docs/protocol.md §6.11): the `admin.*` operations, typed, for administrators. A
// caller who is not an active administrator gets `forbidden` from every one of them.

import type {
  AdminReport,
  AdminUser,
  AuditEntry,
  Invite,
  Message,
  OpArgs,
  PasswordResetLink,
  ServerSettings,
} from "@parley/protocol";
import type { OpCall } from "./calls.js";

/** A page of a listing; pass `next` back as the cursor of the following page (null on the last). */
export interface AdminPage<T, C> {
  items: T[];
  next: C | null;
}

export type AuditExportFormat = "jsonl" | "csv";

export class AdminApi {
  readonly #call: OpCall;
  readonly #download: (path: string) => Promise<string>;

  constructor(call: OpCall, download: (path: string) => Promise<string>) {
    this.#call = call;
    this.#download = download;
  }

  /** Users by username; `query` matches part of the username or display name, in any case. */
  async users(options: OpArgs<"admin.users.list"> = {}): Promise<AdminPage<AdminUser, string>> {
    const { users, next } = await this.#call("admin.users.list", options);
    return { items: users, next };
  }

  /** Creates an account whatever the registration mode; without a password, `reset` is a link for its owner. */
  createUser(args: OpArgs<"admin.users.create">): Promise<{ user: AdminUser; reset: PasswordResetLink | null }> {
    return this.#call("admin.users.create", args);
  }

  /** Signs the user out everywhere (close 4103 on every connection) and refuses their sign-ins until reactivated. */
  deactivate(userId: string): Promise<AdminUser> {
    return this.#call("admin.users.deactivate", { userId });
  }

  reactivate(userId: string): Promise<AdminUser> {
    return this.#call("admin.users.reactivate", { userId });
  }

  /** A one-time password-reset link's token (it replaces the user's earlier ones); hand it to its owner. */
  resetLink(userId: string): Promise<PasswordResetLink> {
    return this.#call("admin.users.resetLink", { userId });
  }

  /** The reports queue, newest first: open reports unless `status: "resolved"`. */
  async reports(options: OpArgs<"admin.reports.list"> = {}): Promise<AdminPage<AdminReport, string>> {
    const { reports, next } = await this.#call("admin.reports.list", options);
    return { items: reports, next };
  }

  /** Dismisses a report: the message stays. */
  dismissReport(reportId: string): Promise<AdminReport> {
    return this.#call("admin.reports.resolve", { reportId });
  }

  /** Removes a message for everyone ("removed by an administrator"), resolving its open reports as `removed`. */
  async removeMessage(conversationId: string, seq: number): Promise<Message> {
    return (await this.#call("admin.messages.remove", { conversationId, seq })).message;
  }

  settings(): Promise<ServerSettings> {
    return this.#call("admin.settings.get", {});
  }

  updateSettings(changes: OpArgs<"admin.settings.update">): Promise<ServerSettings> {
    return this.#call("admin.settings.update", changes);
  }

  /** A new invitation; its `token` is in this answer only. */
  createInvite(options: OpArgs<"admin.invites.create"> = {}): Promise<Invite> {
    return this.#call("admin.invites.create", options);
  }

  /** Invitations, newest first, without their tokens. */
  async invites(options: OpArgs<"admin.invites.list"> = {}): Promise<AdminPage<Invite, string>> {
    const { invites, next } = await this.#call("admin.invites.list", options);
    return { items: invites, next };
  }

  revokeInvite(inviteId: string): Promise<Invite> {
    return this.#call("admin.invites.revoke", { inviteId });
  }

  /** Audit entries, newest first; `before` is the `next` of the previous page. */
  async audit(options: OpArgs<"admin.audit.list"> = {}): Promise<AdminPage<AuditEntry, number>> {
    const { entries, next } = await this.#call("admin.audit.list", options);
    return { items: entries, next };
  }

  /** The whole audit log as a file's text: JSON lines (one `AuditEntry` each) or CSV. */
  exportAudit(format: AuditExportFormat = "jsonl"): Promise<string> {
    return this.#download(`/v1/admin/audit/export?format=${format}`);
  }
}
