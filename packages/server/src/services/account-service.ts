// Profiles, user lookup and contacts.

import type { User } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import type { AccountStore } from "../ports/store.js";
import { toUser } from "./auth-service.js";
import type { Delivery } from "./delivery.js";

export class AccountService {
  constructor(
    private readonly store: AccountStore,
    private readonly delivery: Pick<Delivery, "presenceNarrowed">,
  ) {}

  async me(userId: string): Promise<User> {
    const user = await this.store.getUserById(userId);
    if (!user) throw new AppError("not_found", "User not found");
    return toUser(user);
  }

  /** `displayName` has passed the protocol's visible-name rule (normalised, trimmed, something visible). */
  async updateProfile(userId: string, displayName: string): Promise<User> {
    const user = await this.store.updateDisplayName(userId, displayName);
    if (!user) throw new AppError("not_found", "User not found");
    return toUser(user);
  }

  async byUsername(username: string): Promise<User> {
    const user = await this.store.getUserByUsername(username.toLowerCase());
    if (!user) throw new AppError("not_found", `No user named "${username}"`, { field: "username" });
    return toUser(user);
  }

  async byIds(userIds: readonly string[]): Promise<User[]> {
    return (await this.store.getUsersByIds(userIds)).map(toUser);
  }

  async contacts(ownerId: string): Promise<User[]> {
    return (await this.store.listContacts(ownerId)).map(toUser);
  }

  async addContact(ownerId: string, contactId: string): Promise<User[]> {
    if (contactId === ownerId)
      throw new AppError("validation_failed", "You cannot add yourself as a contact", { field: "userId" });
    if (!(await this.store.getUserById(contactId))) throw new AppError("not_found", "User not found", { field: "userId" });
    await this.store.addContact(ownerId, contactId, Date.now());
    return this.contacts(ownerId);
  }

  async removeContact(ownerId: string, contactId: string): Promise<User[]> {
    await this.store.removeContact(ownerId, contactId);
    // The removed contact may have watched the owner's presence by being listed: that watch ends (if nothing else allows it).
    await this.delivery.presenceNarrowed([ownerId, contactId]);
    return this.contacts(ownerId);
  }
}
