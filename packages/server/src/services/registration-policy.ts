// Who may register: the server's registration mode (a persisted setting, read per registration so that every node
// follows an administrator's change at once) and the invitations that admit someone while it is invite-only.

import { REGISTRATION_MODES, type RegistrationMode } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import type { InviteStore, ServerSettingsStore } from "../ports/admin-store.js";
import { checkInvitation, spendInvitation } from "./invitations.js";

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
    const record = await checkInvitation(this.store, invite, "server", now, "invite");
    await spendInvitation(this.store, record, now, "invite");
    return record.id;
  }

  release(inviteId: string): Promise<void> {
    return this.store.releaseInvite(inviteId);
  }
}
