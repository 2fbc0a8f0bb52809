// What users may do in conversations: sizes, page bounds, group rules and the windows of edits and deletes.

import { type ConfigVars, int, oneOf } from "./parse.js";

export interface LimitsConfig {
  maxMessageBytes: number;
  maxGroupMembers: number;
  /** Largest channel (docs/channels.md). */
  maxChannelMembers: number;
  historyPageMax: number;
  syncPageMax: number;
  /** Most conversations a user can be a current member of (security review #2: forced membership). */
  maxConversationsPerUser: number;
  /** Most groups one user can create in 24 hours. */
  maxGroupsPerDay: number;
  /** Most conversations in one `conversations.list` page and one `sync` page. */
  conversationPageMax: number;
  /** Who may add a user to groups while the user has not chosen (`settings.groupAdds`). */
  groupAddsDefault: "everyone" | "contacts" | "nobody";
  /** How long after sending its author may edit a message; 0 = no limit. */
  editWindowMs: number;
  /** How long after sending its author may delete a message for everyone (group admins: no limit); 0 = no limit. */
  deleteWindowMs: number;
  /** Distinct reaction emojis one message may carry. */
  maxReactionsPerMessage: number;
  /** Messages one conversation may have pinned at once. */
  maxPinsPerConversation: number;
}

export const LIMIT_VARS: ConfigVars<LimitsConfig> = {
  maxMessageBytes: {
    env: "PARLEY_MAX_MESSAGE_BYTES",
    default: 16_384,
    description: "Largest text message body, in UTF-8 bytes.",
    parse: int(1, 1_048_576),
  },
  maxGroupMembers: { env: "PARLEY_MAX_GROUP_MEMBERS", default: 500, description: "Largest group size.", parse: int(2, 100_000) },
  maxChannelMembers: {
    env: "PARLEY_MAX_CHANNEL_MEMBERS",
    default: 100_000,
    description: "Largest channel size.",
    parse: int(2, 1_000_000),
  },
  historyPageMax: { env: "PARLEY_HISTORY_PAGE_MAX", default: 200, description: "Largest history page.", parse: int(1, 1000) },
  syncPageMax: {
    env: "PARLEY_SYNC_PAGE_MAX",
    default: 1000,
    description: "Most messages in one sync answer.",
    parse: int(1, 5000),
  },
  maxConversationsPerUser: {
    env: "PARLEY_MAX_CONVERSATIONS_PER_USER",
    default: 1000,
    description:
      "Most conversations a user can be a current member of; adding (or opening a chat with) a user at the limit fails.",
    parse: int(1, 1_000_000),
  },
  maxGroupsPerDay: {
    env: "PARLEY_MAX_GROUPS_PER_DAY",
    default: 100,
    description: "Most groups one user can create in any 24 hours.",
    parse: int(1, 1_000_000),
  },
  conversationPageMax: {
    env: "PARLEY_CONVERSATION_PAGE_MAX",
    default: 200,
    description: "Most conversations in one `conversations.list` page and one `sync` page.",
    parse: int(1, 1000),
  },
  groupAddsDefault: {
    env: "PARLEY_GROUP_ADDS_DEFAULT",
    default: "everyone",
    description: "Who may add a user to groups until the user chooses (`everyone`, `contacts` or `nobody`).",
    parse: oneOf(["everyone", "contacts", "nobody"], { caseInsensitive: true }),
  },
  editWindowMs: {
    env: "PARLEY_EDIT_WINDOW_MS",
    default: 172_800_000,
    description: "How long after sending the author may edit a message (default 48 h); `0` = no limit.",
    parse: int(0, 31_536_000_000),
  },
  deleteWindowMs: {
    env: "PARLEY_DELETE_WINDOW_MS",
    default: 172_800_000,
    description:
      "How long after sending the author may delete a message for everyone (default 48 h; group admins and owners have no limit); `0` = no limit.",
    parse: int(0, 31_536_000_000),
  },
  maxReactionsPerMessage: {
    env: "PARLEY_MAX_REACTIONS_PER_MESSAGE",
    default: 20,
    description: "Distinct reaction emojis one message may carry.",
    parse: int(1, 1000),
  },
  maxPinsPerConversation: {
    env: "PARLEY_MAX_PINS_PER_CONVERSATION",
    default: 50,
    description: "Messages one conversation may have pinned at once (`too_many_pins` beyond).",
    parse: int(1, 1000),
  },
};
