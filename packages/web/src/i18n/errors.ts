// An error as words for the user. Errors the app has its own words for (by their protocol or SDK code) are told in the
// app's language; any other keeps the text it came with (the server's, in English). Forms that know better (a wrong
// password in the sign-in form) explain their own errors first and fall back to this.

import { isParleyError } from "@parley/client";
import { type MessageKey, t } from "./i18n.js";

const BY_CODE: Readonly<Record<string, MessageKey>> = {
  forbidden: "errors.forbidden",
  not_member: "errors.notMember",
  not_found: "errors.notFound",
  message_not_found: "errors.messageNotFound",
  message_deleted: "errors.messageDeleted",
  not_author: "errors.notAuthor",
  window_expired: "errors.windowExpired",
  too_many_reactions: "errors.tooManyReactions",
  invalid_emoji: "errors.invalidEmoji",
  group_full: "errors.groupFull",
  invalid_invite: "errors.invalidInvite",
  conversation_limit: "errors.conversationLimit",
  not_allowed: "errors.notAllowed",
  too_large: "errors.tooLarge",
  rate_limited: "errors.rateLimited",
  internal: "errors.internal",
  unavailable: "errors.unavailable",
  network_error: "errors.unreachable",
  timeout: "errors.unreachable",
  not_connected: "errors.unreachable",
  connection_closed: "errors.unreachable",
  unauthorized: "session.ended",
  token_expired: "session.ended",
  invalid_refresh_token: "session.ended",
  account_deactivated: "session.deactivated",
  push_disabled: "notifications.serverOff",
};

export function errorText(error: unknown): string {
  if (isParleyError(error) && Object.hasOwn(BY_CODE, error.code)) return t(BY_CODE[error.code]!);
  return error instanceof Error ? error.message : String(error);
}
