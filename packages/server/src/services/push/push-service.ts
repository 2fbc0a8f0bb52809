// The push operations: configuration for clients, subscriptions per device, conversation mutes and notification settings.

import type { ConversationMute, MuteUntil, NotificationSettings, PushConfig } from "@parley/protocol";
import { AppError } from "../../domain/app-error.js";
import { endpointProblem, keysProblem } from "../../domain/push-endpoint.js";
import { FOREVER, type NotificationSettingsRecord, type PushStore } from "../../ports/push-store.js";
import type { ConversationStore } from "../../ports/store.js";
import { requireCurrentMember } from "../conversation-access.js";

/** Devices per user that receive notifications; registering one more drops the oldest. */
export const MAX_SUBSCRIPTIONS_PER_USER = 20;

export interface PushServiceConfig {
  enabled: boolean;
  /** The VAPID public key clients subscribe with; undefined when push is disabled. */
  vapidPublicKey: string | undefined;
  allowPrivateEndpoints: boolean;
}

export class PushService {
  constructor(
    private readonly push: PushStore,
    private readonly conversations: ConversationStore,
    private readonly config: PushServiceConfig,
  ) {}

  pushConfig(): PushConfig {
    return { enabled: this.config.enabled, vapidPublicKey: this.config.enabled ? (this.config.vapidPublicKey ?? null) : null };
  }

  async subscribe(
    userId: string,
    sessionId: string,
    input: { endpoint: string; keys: { p256dh: string; auth: string } },
  ): Promise<{ endpoint: string }> {
    if (!this.config.enabled) throw new AppError("push_disabled", "Push notifications are turned off on this server");
    const endpointIssue = endpointProblem(input.endpoint, this.config.allowPrivateEndpoints);
    if (endpointIssue) throw new AppError("invalid_push_subscription", capitalize(endpointIssue), { field: "endpoint" });
    const keysIssue = keysProblem(input.keys);
    if (keysIssue) throw new AppError("invalid_push_subscription", capitalize(keysIssue), { field: "keys" });
    await this.push.saveSubscription(
      {
        endpoint: input.endpoint,
        kind: "webpush",
        userId,
        sessionId,
        p256dh: input.keys.p256dh,
        auth: input.keys.auth,
        createdAt: Date.now(),
      },
      MAX_SUBSCRIPTIONS_PER_USER,
    );
    return { endpoint: input.endpoint };
  }

  /** Idempotent; only the caller's own subscription is removed (an unknown endpoint is not an error). */
  async unsubscribe(userId: string, endpoint: string): Promise<void> {
    await this.push.deleteSubscription(endpoint, userId);
  }

  /** A device session ended (logout, revocation): its subscriptions stop receiving. */
  async sessionEnded(sessionId: string): Promise<void> {
    await this.push.deleteSessionSubscriptions(sessionId);
  }

  async mute(userId: string, conversationId: string, until: MuteUntil): Promise<ConversationMute> {
    requireCurrentMember(await this.conversations.getMembership(conversationId, userId));
    const stored = toStored(until, "until");
    await this.push.setMute(userId, conversationId, stored);
    return { conversationId, mutedUntil: fromStored(stored) };
  }

  async settings(userId: string): Promise<NotificationSettings> {
    const now = Date.now();
    const [settings, mutes] = await Promise.all([this.push.getNotificationSettings(userId), this.push.listMutes(userId, now)]);
    return this.view(settings, mutes, now);
  }

  async updateSettings(
    userId: string,
    input: { dnd?: MuteUntil; previews?: boolean; mentionsInMuted?: boolean },
  ): Promise<NotificationSettings> {
    const patch: Partial<NotificationSettingsRecord> = {};
    if (input.dnd !== undefined) patch.dndUntil = toStored(input.dnd, "dnd");
    if (input.previews !== undefined) patch.previews = input.previews;
    if (input.mentionsInMuted !== undefined) patch.mentionsInMuted = input.mentionsInMuted;
    const now = Date.now();
    const settings = await this.push.updateNotificationSettings(userId, patch);
    return this.view(settings, await this.push.listMutes(userId, now), now);
  }

  private view(
    settings: NotificationSettingsRecord,
    mutes: { conversationId: string; until: number }[],
    now: number,
  ): NotificationSettings {
    const dnd = settings.dndUntil !== null && settings.dndUntil > now ? fromStored(settings.dndUntil) : null;
    return {
      dnd,
      previews: settings.previews,
      mentionsInMuted: settings.mentionsInMuted,
      mutes: mutes.map((m) => ({ conversationId: m.conversationId, mutedUntil: fromStored(m.until) })),
    };
  }
}

/** "forever" → FOREVER, a time → itself (it must lie in the future), null → null. */
function toStored(until: MuteUntil, field: string): number | null {
  if (until === null) return null;
  if (until === "forever") return FOREVER;
  if (until <= Date.now()) throw new AppError("validation_failed", `${field} must be in the future`, { field });
  if (until >= FOREVER) return FOREVER;
  return until;
}

function fromStored(until: number | null): MuteUntil {
  if (until === null) return null;
  return until >= FOREVER ? "forever" : until;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
