// Profiles, user lookup, contacts, blocks and who may add the user to groups.

import type { GroupAdds, User } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import type { AccountStore } from "../ports/store.js";
import { toUser } from "./auth-service.js";
import type { BlockCache } from "./block-cache.js";
import type { Delivery } from "./delivery.js";

export class AccountService {
  constructor(
    private readonly store: AccountStore,
    private readonly delivery: Pick<Delivery, "presenceNarrowed" | "blocksChanged">,
    private readonly blocks: Pick<BlockCache, "invalidate">,
    /** Who may add a user to groups while the user has not chosen. */
    private readonly groupAddsDefault: GroupAdds = "everyone",
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

  async blocked(ownerId: string): Promise<User[]> {
    return (await this.store.listBlocked(ownerId)).map(toUser);
  }

  /** Blocking is private like contacts: the blocked user is not told (refusals answer `not_allowed`). */
  async block(ownerId: string, blockedId: string): Promise<User[]> {
    if (blockedId === ownerId) throw new AppError("validation_failed", "You cannot block yourself", { field: "userId" });
    if (!(await this.store.getUserById(blockedId))) throw new AppError("not_found", "User not found", { field: "userId" });
    await this.store.addBlock(ownerId, blockedId, Date.now());
    await this.blocksChanged(ownerId, blockedId);
    return this.blocked(ownerId);
  }

  async unblock(ownerId: string, blockedId: string): Promise<User[]> {
    await this.store.removeBlock(ownerId, blockedId);
    await this.blocksChanged(ownerId, blockedId);
    return this.blocked(ownerId);
  }

  /** This node forgets the pair at once (even if the bus is down); the other nodes when the bus tells them. */
  private blocksChanged(ownerId: string, blockedId: string): Promise<void> {
    this.blocks.invalidate(ownerId, blockedId);
    return this.delivery.blocksChanged(ownerId, blockedId);
  }

  async groupAdds(userId: string): Promise<GroupAdds> {
    return (await this.store.getGroupAdds(userId)) ?? this.groupAddsDefault;
  }

  async setGroupAdds(userId: string, value: GroupAdds): Promise<GroupAdds> {
    await this.store.setGroupAdds(userId, value);
    return value;
  }
}
