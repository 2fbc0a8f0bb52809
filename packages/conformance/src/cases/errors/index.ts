// Error cases: every error code of §14.1 a client can provoke, over each transport that can carry it, one module
// per area.

import type { Case } from "../../case.js";
import { authErrorCases } from "./auth.js";
import { channelErrorCases, conversationErrorCases } from "./conversations.js";
import { linkPreviewErrorCases } from "./link-previews.js";
import { mediaErrorCases } from "./media.js";
import { messageActionErrorCases } from "./message-actions.js";
import { pushErrorCases } from "./push.js";
import { requestErrorCases } from "./requests.js";
import { ssoErrorCases } from "./sso.js";

export const errorCases: Case[] = [
  ...requestErrorCases,
  ...authErrorCases,
  ...ssoErrorCases,
  ...conversationErrorCases,
  ...channelErrorCases,
  ...messageActionErrorCases,
  ...pushErrorCases,
  ...mediaErrorCases,
  ...linkPreviewErrorCases,
];
