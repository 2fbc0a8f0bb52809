// The Store port as one object over an engine's role adapters (accounts, conversations, the log, receipts, search,
// retention):
// each port method is the role's own method, bound, so the composition holds no logic and adds no step of its own.

import type {
  AccountStore,
  ConversationStore,
  MessageSearchStore,
  MessageStore,
  ReceiptStore,
  RetentionStore,
  Store,
} from "../ports/store.js";

/** What an engine's factory builds: one object per role, and the handle they share (its connection, its closing). */
export interface StoreRoles {
  accounts: AccountStore;
  conversations: ConversationStore;
  log: MessageStore;
  receipts: ReceiptStore;
  search: MessageSearchStore;
  retention: RetentionStore;
  handle: Pick<Store, "ping" | "close">;
}

type Methods<T> = { [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T];

/**
 * Every method of the port, by the role that answers it. A record (not a list) so that the compiler refuses a port
 * method that no role answers, and a name that is not the role's.
 */
const ROLE_METHODS: { [R in keyof StoreRoles]: Record<Methods<StoreRoles[R]>, true> } = {
  accounts: {
    createUser: true,
    getUserById: true,
    getUserByUsername: true,
    getUsersByIds: true,
    updateDisplayName: true,
    setAvatar: true,
    searchUsers: true,
    setLastSeen: true,
    setLastSeenMany: true,
    createSession: true,
    getSession: true,
    rotateRefresh: true,
    revokeSession: true,
    addContact: true,
    removeContact: true,
    listContacts: true,
    getGroupAdds: true,
    setGroupAdds: true,
    addBlock: true,
    removeBlock: true,
    listBlocked: true,
    blockedBy: true,
    blockPeers: true,
    refusingGroupAdd: true,
    filterPresenceVisible: true,
  },
  conversations: {
    openDirect: true,
    createGroup: true,
    createChannel: true,
    getConversation: true,
    countMembers: true,
    currentMembersAmong: true,
    listChannelMembers: true,
    listPublicChannels: true,
    listChannelMemberships: true,
    countReadThrough: true,
    getMembers: true,
    getMembership: true,
    listMemberships: true,
    countMemberships: true,
    groupsCreatedSince: true,
    conversationsWithReceiptsAfter: true,
    addBan: true,
    removeBan: true,
    listBans: true,
    bannedAmong: true,
  },
  log: {
    append: true,
    getHistory: true,
    getLastMessage: true,
    countUnread: true,
    countUnreadMentions: true,
    getMessagesBySeq: true,
    getReactions: true,
    listPins: true,
    hideMessage: true,
    getHiddenSeqs: true,
    listHiddenSince: true,
    listSentMessages: true,
  },
  receipts: { updateReceipts: true, getEntryAuthors: true },
  search: { searchMessages: true },
  retention: { expireEntries: true },
  handle: { ping: true, close: true },
};

/** The base of each engine's Store class: the roles' methods as its own. */
class RoleComposition {
  readonly pipelinedAppends: boolean;
  readonly defaultCommitWindowMs: number;

  constructor(roles: StoreRoles) {
    const self = this as unknown as Record<string, unknown>;
    for (const role of Object.keys(ROLE_METHODS) as (keyof StoreRoles)[]) {
      const target = roles[role] as unknown as Record<string, (...args: unknown[]) => unknown>;
      for (const name of Object.keys(ROLE_METHODS[role])) self[name] = target[name]!.bind(target);
    }
    this.pipelinedAppends = roles.log.pipelinedAppends === true;
    this.defaultCommitWindowMs = roles.log.defaultCommitWindowMs ?? 0;
  }
}

/** `class XStore extends ComposedStore` gets every method of the port from the roles passed to `super`. */
export const ComposedStore = RoleComposition as new (
  roles: StoreRoles,
) => Store & {
  readonly pipelinedAppends: boolean;
  readonly defaultCommitWindowMs: number;
};
