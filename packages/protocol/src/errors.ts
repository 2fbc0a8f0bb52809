// The registry of error codes: every error a client can receive, with its HTTP status and whether a retry can succeed.

export interface ErrorSpec {
  /** HTTP status used when the error is answered over HTTP. */
  readonly status: number;
  /** True when the same request may succeed later without change (after backoff or `retryAfterMs`). */
  readonly retryable: boolean;
  /** One line for docs/protocol.md and for humans. */
  readonly description: string;
}

export const ERRORS = {
  invalid_json: { status: 400, retryable: false, description: "The frame or body is not valid JSON." },
  invalid_frame: {
    status: 400,
    retryable: false,
    description: "The frame is not an object with a string `rid`, a string `op` and an object `args`.",
  },
  unknown_op: { status: 400, retryable: false, description: "The `op` is not an operation of this protocol version." },
  validation_failed: {
    status: 400,
    retryable: false,
    description: "The arguments break the operation's schema; `details.field` names the first offending field.",
  },
  weak_password: { status: 400, retryable: false, description: "The password is shorter than 8 characters or longer than 256." },
  too_large: { status: 413, retryable: false, description: "A message body, frame or request exceeds its configured maximum." },
  unauthorized: { status: 401, retryable: false, description: "No valid access token was presented." },
  token_expired: {
    status: 401,
    retryable: false,
    description: "The access token has expired: refresh it (`auth.refresh`) and try again.",
  },
  invalid_credentials: {
    status: 401,
    retryable: false,
    description: "Unknown username or wrong password (the same answer for both).",
  },
  invalid_refresh_token: {
    status: 401,
    retryable: false,
    description: "The refresh token is unknown, expired, already used or its session was revoked.",
  },
  stale_epoch: {
    status: 409,
    retryable: false,
    description:
      "The MLS commit (or application message) is not for the conversation's current epoch (`details.epoch`): another commit won. Process the stream up to it and commit again; nothing was stored.",
  },
  encryption_required: {
    status: 409,
    retryable: false,
    description:
      "The conversation is end-to-end encrypted: plaintext sends, edits and reactions are refused; send an MLS message (`mls`) instead. Nothing was stored.",
  },
  not_encrypted: {
    status: 409,
    retryable: false,
    description: "MLS messages and commits are accepted only in encrypted conversations; nothing was stored.",
  },
  device_not_registered: {
    status: 409,
    retryable: false,
    description:
      "The calling device (session) has no MLS signature key in the device directory: call `e2ee.devices.register` first; or a Welcome names a device that is not a registered device of a current member (`details.deviceId`).",
  },
  too_many_key_packages: {
    status: 409,
    retryable: false,
    description:
      "The device would hold more than `details.limit` single-use KeyPackages; nothing was stored. Upload fewer (see `e2ee.keyPackages.count`).",
  },
  forbidden: { status: 403, retryable: false, description: "The caller may not do this (for example: not an admin)." },
  not_member: { status: 403, retryable: false, description: "The caller is not a member of the conversation." },
  not_found: {
    status: 404,
    retryable: false,
    description: "The user or conversation does not exist (or is not visible to the caller).",
  },
  username_taken: { status: 409, retryable: false, description: "Another account already uses this username." },
  conflict: {
    status: 409,
    retryable: false,
    description: "The request conflicts with the current state (for example: already a member).",
  },
  group_full: {
    status: 409,
    retryable: false,
    description: "Adding these members would exceed the group or channel size limit.",
  },
  not_allowed: {
    status: 403,
    retryable: false,
    description:
      "The other user does not accept this from the caller (their group-add setting or their block list; which one is not said), the caller blocks the other member of a direct conversation (`details.reason`: `blocking`; unblock to write again), or the other user is a deactivated account (`details.reason`: `deactivated`, with `details.userId`).",
  },
  conversation_limit: {
    status: 409,
    retryable: false,
    description:
      "A user would be in more than `limits.maxConversationsPerUser` conversations (`details.userId`, `details.limit`).",
  },
  already_authenticated: { status: 409, retryable: false, description: "`hello` was sent twice on one connection." },
  rate_limited: { status: 429, retryable: true, description: "Too many requests; wait `retryAfterMs` before retrying." },
  internal: {
    status: 500,
    retryable: true,
    description: "An unexpected server error; nothing was committed unless an ack was sent.",
  },
  unavailable: {
    status: 503,
    retryable: true,
    description:
      "A backing service (store, bus, or the upload malware scanner: `details.service` is `scanner`) is unavailable; nothing was committed; retry with backoff.",
  },
  retention_too_long: {
    status: 400,
    retryable: false,
    description:
      "A conversation's retention may not be longer than the server's maximum message age (`details.max`, in seconds); nothing changed.",
  },
  message_not_found: {
    status: 404,
    retryable: false,
    description: "No text message with this seq in the conversation is visible to the caller (edit, delete, react, reply).",
  },
  invalid_target: {
    status: 409,
    retryable: false,
    description: "The target is a system or action entry: only text messages can be edited, deleted, reacted or replied to.",
  },
  message_deleted: {
    status: 409,
    retryable: false,
    description: "The target message was deleted for everyone: it can no longer be edited, reacted or replied to.",
  },
  not_author: {
    status: 403,
    retryable: false,
    description: "Only the author may edit a message, or delete it for everyone (group admins and owners may delete too).",
  },
  window_expired: {
    status: 403,
    retryable: false,
    description: "The edit or delete time window of the message has passed (`details.windowMs`).",
  },
  invalid_emoji: { status: 400, retryable: false, description: "A reaction must be a single emoji (one RGI emoji grapheme)." },
  too_many_reactions: {
    status: 409,
    retryable: false,
    description: "The message already carries the maximum number of distinct reaction emojis (`details.limit`).",
  },
  too_many_pins: {
    status: 409,
    retryable: false,
    description: "The conversation already has the maximum number of pinned messages (`details.limit`): unpin one first.",
  },
  push_disabled: { status: 409, retryable: false, description: "Push notifications are turned off on this server." },
  link_previews_disabled: {
    status: 409,
    retryable: false,
    description: "Link previews are turned off on this server (`PARLEY_LINK_PREVIEWS=off`).",
  },
  link_preview_unavailable: {
    status: 422,
    retryable: false,
    description:
      "The page could not be previewed (`details.reason`: `blocked`, `network`, `timeout`, `status`, `not_html`, `too_large`); the answer is cached for a while.",
  },
  invalid_push_subscription: {
    status: 400,
    retryable: false,
    description:
      "The push subscription's endpoint is not an https URL of a public host, or its keys are not a P-256 public key and a 16-byte auth secret.",
  },
  upload_too_large: {
    status: 413,
    retryable: false,
    description: "The upload exceeds `limits.maxUploadBytes`, or an image exceeds the pixel limit; nothing was stored.",
  },
  suspicious_image: {
    status: 422,
    retryable: false,
    description:
      "The image declares far more pixels than its byte size can plausibly hold (over 4 MP with less than one byte per 400 pixels: a decompression bomb); nothing was stored.",
  },
  upload_infected: {
    status: 422,
    retryable: false,
    description:
      "The server's malware scanner found a signature in the upload (`details.signature` names it); nothing was stored.",
  },
  empty_upload: { status: 400, retryable: false, description: "The upload has no bytes; nothing was stored." },
  unsupported_media_type: {
    status: 415,
    retryable: false,
    description: "The bytes are of a kind Parley does not accept, or an image could not be decoded; nothing was stored.",
  },
  content_type_mismatch: {
    status: 415,
    retryable: false,
    description: "The declared Content-Type contradicts the bytes (say, `image/png` for a PDF); nothing was stored.",
  },
  invalid_file_name: {
    status: 400,
    retryable: false,
    description: "The file name is missing, too long, or nothing is left of it after removing paths and control characters.",
  },
  invalid_signature: {
    status: 403,
    retryable: false,
    description: "A download URL's signature does not match: it was altered or made for another file or variant.",
  },
  signature_expired: {
    status: 403,
    retryable: false,
    description: "A download URL's signature has expired: ask `files.sign` for a fresh one.",
  },
  range_not_satisfiable: {
    status: 416,
    retryable: false,
    description: "The Range header of a download lies outside the file.",
  },
  registration_closed: {
    status: 403,
    retryable: false,
    description: "Registration is closed on this server: only administrators create accounts.",
  },
  invite_required: {
    status: 403,
    retryable: false,
    description: "Registration needs an invitation on this server: pass the invitation's token as `invite`.",
  },
  invalid_invite: {
    status: 403,
    retryable: false,
    description:
      "The invitation is unknown, expired, revoked or used up (`details.reason`: `unknown`, `expired`, `revoked`, `used_up`); nothing was created (`auth.register`) or joined (`channels.joinByInvite`).",
  },
  invalid_reset_token: {
    status: 400,
    retryable: false,
    description: "The password-reset link is unknown, expired or already used; the password is unchanged.",
  },
  account_deactivated: {
    status: 403,
    retryable: false,
    description: "An administrator deactivated this account: it cannot sign in, refresh or use its old tokens.",
  },
  sso_only: {
    status: 403,
    retryable: false,
    description:
      "This server signs in through single sign-on only (`auth.sso` says so): password sign-in, registration and reset links are refused.",
  },
  sso_not_configured: {
    status: 404,
    retryable: false,
    description: "Single sign-on is not configured on this server (`auth.sso` answers `enabled: false`).",
  },
  sso_failed: {
    status: 401,
    retryable: false,
    description:
      "The single sign-on was refused (`details.reason`: `invalid_state`, `provider_error`, `invalid_response`); nothing was created. Given to the web app in the callback's redirect.",
  },
  invalid_sso_code: {
    status: 401,
    retryable: false,
    description: "The sign-in code given to `auth.ssoExchange` is unknown, expired or already used.",
  },
  wrong_password: {
    status: 403,
    retryable: false,
    description: "The current password given to `me.changePassword` is not the account's; nothing changed.",
  },
  not_supported: {
    status: 501,
    retryable: false,
    description: "This server does not offer the feature (for example direct uploads without an S3 store).",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** The error object carried in `error` frames and HTTP error bodies. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
  details?: { field?: string; [key: string]: unknown };
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERRORS, value);
}
