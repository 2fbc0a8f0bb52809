// Browser-safe public surface of the Parley SDK (no Node-only imports).

export type {
  ActionResult,
  AdminReport,
  AdminUser,
  Attachment,
  AuditEntry,
  AuthResult,
  ChannelInvite,
  ChannelListing,
  ChannelMember,
  ChannelSettings,
  CloseAction,
  Conversation,
  ConversationMute,
  ConversationSummary,
  DeviceSession,
  ErrorBody,
  ErrorCode,
  EventMap,
  GroupAdds,
  GroupBan,
  Invite,
  Limits,
  LinkPreview,
  Member,
  Message,
  MessageAck,
  MessageAction,
  MuteUntil,
  NotificationSettings,
  PasswordResetLink,
  PinnedMessage,
  Presence,
  PushConfig,
  PushPayload,
  Reaction,
  ReceiptState,
  RegistrationMode,
  ReplyRef,
  Report,
  ReportReason,
  SearchHighlight,
  SearchHit,
  SearchResult,
  ServerSettings,
  Settings,
  SignedFile,
  SystemEvent,
  User,
  Welcome,
} from "@parley/protocol";
// Mentions are `<@userId>` tokens in a message body (docs/protocol.md §6.6).
// The reasons a message can be reported for (docs/protocol.md §6.11, `reports.create`).
export { MENTION_PATTERN, mentionedUserIds, mentionsUser, mentionToken, REPORT_REASONS } from "@parley/protocol";
export { AdminApi, type AdminPage, type AuditExportFormat } from "./admin.js";
export { AuthSession, type Credentials, credentialsFromAuth } from "./auth.js";
export { Backoff, type BackoffOptions } from "./backoff.js";
export type { EncryptionHooks } from "./client.js";
export { type ClientEvents, defaultWsUrl, type HistoryOptions, ParleyClient, type ParleyClientOptions } from "./client.js";
export {
  type CloseInfo,
  Connection,
  type ConnectionOptions,
  type ConnectionState,
  closeActionFor,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./connection.js";
export type { Content as EncryptedContent, EncryptedFile } from "./e2ee/content.js";
// End-to-end encryption (MLS, docs/e2ee.md): the helper, the one MLS interface and its ts-mls implementation.
export { E2ee, type E2eeOptions, type EncryptedUploadOptions } from "./e2ee/e2ee.js";
export { IndexedDbMlsStateStore } from "./e2ee/indexeddb-state-store.js";
export {
  type CommitResult,
  type CredentialCheck,
  credentialIdentity,
  type MlsDeviceKeys,
  type MlsIdentity,
  type MlsProvider,
  type OwnKeyPackage,
  type ProcessResult,
  parseCredentialIdentity,
} from "./e2ee/mls-provider.js";
export { MemoryMlsStateStore, type MlsStateStore } from "./e2ee/mls-state-store.js";
export { fingerprintDigits, safetyNumber } from "./e2ee/safety-number.js";
export { TsMlsProvider } from "./e2ee/ts-mls-provider.js";
export {
  type MlsCallName,
  type MlsPort,
  type MlsRequest,
  type MlsResponse,
  PortMlsProvider,
  serveMlsProvider,
} from "./e2ee/worker-provider.js";
export { type ClientErrorCode, isAuthLoss, isParleyError, ParleyError, type ParleyErrorCode } from "./errors.js";
export { Emitter, type Listener } from "./events.js";
export { buildHttpRequest, type FetchLike, HttpApi, type ResponseLike, type TokenSource } from "./http-api.js";
export { createIdGenerator, newClientId } from "./ids.js";
export { LongPollSocket, type LongPollSocketOptions } from "./long-poll-socket.js";
export { applyHidden, applyUpdate, hasReacted, hiddenForMe, isShown, quoteOf } from "./message-state.js";
export { MemoryOutboxStore, Outbox, type OutboxAction, type OutboxEntry, type OutboxStore } from "./outbox.js";
export { PushApi, type PushSubscriptionJSON } from "./push.js";
export { type MessageReceiptStatus, ReceiptBook } from "./receipt-book.js";
export { ReceiptReporter } from "./receipt-reporter.js";
export { type GapRepair, ReorderBuffer } from "./reorder-buffer.js";
export { type SearchFilters, type SearchPage, type SnippetSegment, searchPage, snippetSegments } from "./search.js";
export { SyncEngine } from "./sync.js";
export { systemTimers, type Timers } from "./timers.js";
export {
  type TransportMode,
  type TransportName,
  TransportSelector,
  type TransportSelectorOptions,
} from "./transport-selector.js";
export { type TypingEvent, TypingNotifier, TypingTracker } from "./typing.js";
export { type AvatarOptions, FileUrlCache, type UploadData, Uploader, type UploadOptions } from "./uploads.js";
