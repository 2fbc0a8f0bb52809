// Who may register: the server's registration mode (a persisted setting, read per registration so that every node
// follows an administrator's change at once) and the invitations that admit someone while it is invite-only.

import { REGISTRATION_MODES, type RegistrationMode } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import { parseSecretToken, sameHex } from "../domain/secret-token.js";
import { type InviteStore, inviteRefusal, type ServerSettingsStore } from "../ports/admin-store.js";

const REGISTRATION_KEY = "registration";

function isMode(value: string | undefined): value is RegistrationMode {
  return REGISTRATION_MODES.includes(value as RegistrationMode);
}

export class RegistrationPolicy {
  constructor(
    private readonly store: ServerSettingsStore & InviteStore,
    /** The mode until an administrator sets one (PARLEY_REGISTRATION). */
    private readonly defaultMode: RegistrationMode,
  ) {}

  async mode(): Promise<RegistrationMode> {
    const stored = (await this.store.getSettings([REGISTRATION_KEY]))[REGISTRATION_KEY];
    return isMode(stored) ? stored : this.defaultMode;
  }

  /** The stored form of an administrator's choice, for ServerSettingsStore.putSettings. */
  settingValues(mode: RegistrationMode): Record<string, string> {
    return { [REGISTRATION_KEY]: mode };
  }

  /**
   * Lets a registration go ahead or refuses it; a valid invitation is counted as used (hand its id to `release` when
   * the registration fails after all). Resolves with that id, or undefined when none was used.
   */
  async admit(invite: string | undefined, now: number): Promise<string | undefined> {
    const registration = await this.mode();
    if (registration === "closed") {
      throw new AppError("registration_closed", "Registration is closed on this server: ask an administrator for an account");
    }
    if (invite === undefined) {
      if (registration === "invite_only") {
        throw new AppError("invite_required", "Registration on this server needs an invitation", { field: "invite" });
      }
      return undefined;
    }
    const refuse = (reason: string) =>
      new AppError("invalid_invite", `The invitation cannot be used (${reason.replace("_", " ")})`, { field: "invite", reason });
    const presented = parseSecretToken(invite);
    const record = presented && (await this.store.getInvite(presented.id));
    if (!presented || !record || !sameHex(record.secretHash, presented.hash)) throw refuse("unknown");
    const refusal = inviteRefusal(record, now);
    if (refusal) throw refuse(refusal);
    // Another registration may have taken the last use since the read: the conditional update decides.
    if (!(await this.store.useInvite(record.id, now))) throw refuse("used_up");
    return record.id;
  }

  release(inviteId: string): Promise<void> {
    return this.store.releaseInvite(inviteId);
  }
}
