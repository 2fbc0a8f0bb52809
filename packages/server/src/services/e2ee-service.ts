// End-to-end encryption (docs/e2ee.md, protocol §6.15): the device and KeyPackage directories and the MLS delivery
// service. The server handles only opaque MLS bytes; commits go through the conversation log like every entry.

import type { ClaimedKeyPackage, Message, MlsDevice, MlsWelcome, OpArgs } from "@parley/protocol";
import { MAX_KEY_PACKAGES } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import { newId } from "../domain/ids.js";
import type { DeviceRecord, E2eeStore, KeyPackageInput, WelcomeRecord } from "../ports/e2ee-store.js";
import type { AccountStore, ConversationStore, MlsDraft } from "../ports/store.js";
import { requireCurrentMember } from "./conversation-access.js";
import type { Delivery } from "./delivery.js";
import type { ConversationLog } from "./log/conversation-log.js";
import type { Origin } from "./log/entry-drafts.js";

/** The bounds of a KeyPackage's `expiresAt`, from now. */
export const KEY_PACKAGE_MIN_LIFETIME_MS = 3_600_000;
export const KEY_PACKAGE_MAX_LIFETIME_MS = 90 * 86_400_000;

export function fromBase64Url(value: string): Uint8Array {
  return new Uint8Array(Buffer.from(value, "base64url"));
}

function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

function deviceView(d: DeviceRecord): MlsDevice {
  return { userId: d.userId, deviceId: d.deviceId, signatureKey: toBase64Url(d.signatureKey), registeredAt: d.registeredAt };
}

function welcomeView(w: WelcomeRecord): MlsWelcome {
  return {
    id: w.id,
    conversationId: w.conversationId,
    epoch: w.epoch,
    deviceId: w.deviceId,
    data: toBase64Url(w.data),
    createdAt: w.createdAt,
  };
}

export class E2eeService {
  constructor(
    private readonly e2ee: E2eeStore,
    private readonly store: Pick<ConversationStore, "getMembership" | "listMemberships" | "getMembers"> &
      Pick<AccountStore, "filterPresenceVisible">,
    private readonly log: Pick<ConversationLog, "submit">,
    private readonly delivery: Pick<Delivery, "toUsers">,
  ) {}

  async register(userId: string, deviceId: string, signatureKey: string): Promise<{ device: MlsDevice }> {
    const result = await this.e2ee.registerDevice({
      userId,
      deviceId,
      signatureKey: fromBase64Url(signatureKey),
      now: Date.now(),
    });
    if (result.outcome === "conflict") {
      throw new AppError("conflict", "This device already registered another signature key: sign in again for a new device", {
        field: "signatureKey",
      });
    }
    return { device: deviceView(result.device) };
  }

  /** The caller's own devices, or those of a user whose presence the caller may see (`not_found` otherwise). */
  async list(callerId: string, userId: string): Promise<{ devices: MlsDevice[] }> {
    await this.requireVisible(callerId, [userId]);
    return { devices: (await this.e2ee.listDevices([userId], Date.now())).map(deviceView) };
  }

  /**
   * A device session ended (logout, revocation, password change, deactivation): when it was a registered MLS device,
   * its user and every current member of an encrypted conversation the user is in get `e2ee.device.removed`, so that
   * their devices commit the removal of its leaf (docs/e2ee.md). Best effort, after the session is revoked.
   */
  async deviceEnded(deviceId: string): Promise<void> {
    const [userId] = await this.e2ee.deviceOwners([deviceId]);
    if (userId === undefined) return;
    await this.announceDeviceRemoved(userId, deviceId);
  }

  /**
   * Devices whose session expired leave the directory and are announced like a revoked one (`e2ee.device.removed`),
   * so that the other members' devices remove their leaves; runs on every node, each device claimed by one.
   * Returns how many were announced.
   */
  async sweepExpiredDevices(now = Date.now()): Promise<number> {
    const PAGE = 100;
    let announced = 0;
    for (;;) {
      const ended = await this.e2ee.claimExpiredDevices(now, PAGE);
      for (const { userId, deviceId } of ended) await this.announceDeviceRemoved(userId, deviceId);
      announced += ended.length;
      if (ended.length < PAGE) return announced;
    }
  }

  /** `e2ee.device.removed` to the device's user and the current members of the user's encrypted conversations. */
  private async announceDeviceRemoved(userId: string, deviceId: string): Promise<void> {
    const audience = new Set([userId]);
    const PAGE = 200;
    let after: string | undefined;
    for (;;) {
      const rows = await this.store.listMemberships(userId, after === undefined ? { limit: PAGE } : { after, limit: PAGE });
      for (const { membership, conversation } of rows) {
        if (!conversation.encrypted || membership.leftSeq !== null) continue;
        for (const m of await this.store.getMembers(conversation.id)) if (m.leftSeq === null) audience.add(m.userId);
      }
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]!.conversation.id;
    }
    await this.delivery.toUsers(audience, "e2ee.device.removed", { userId, deviceId });
  }

  /** Directory entries are shown to users who share a conversation with their owner or are their contacts. */
  private async requireVisible(callerId: string, userIds: readonly string[]): Promise<void> {
    const visible = new Set(await this.store.filterPresenceVisible(callerId, userIds));
    const stranger = userIds.find((id) => !visible.has(id));
    if (stranger !== undefined) throw new AppError("not_found", "User not found", { field: "userIds", userId: stranger });
  }

  /** The calling device's directory entry; `device_not_registered` without one. */
  async requireDevice(userId: string, deviceId: string): Promise<DeviceRecord> {
    const device = (await this.e2ee.listDevices([userId], Date.now())).find((d) => d.deviceId === deviceId);
    if (device === undefined) {
      throw new AppError("device_not_registered", "Register this device's MLS signature key first (e2ee.devices.register)");
    }
    return device;
  }

  async upload(userId: string, deviceId: string, args: OpArgs<"e2ee.keyPackages.upload">) {
    await this.requireDevice(userId, deviceId);
    const now = Date.now();
    const check = (p: { data: string; expiresAt: number }, field: string): KeyPackageInput => {
      if (p.expiresAt < now + KEY_PACKAGE_MIN_LIFETIME_MS || p.expiresAt > now + KEY_PACKAGE_MAX_LIFETIME_MS) {
        throw new AppError("validation_failed", "A KeyPackage must expire between one hour and 90 days from now", {
          field,
        });
      }
      return { data: fromBase64Url(p.data), expiresAt: p.expiresAt };
    };
    const packages = args.keyPackages.map((p, i) => check(p, `keyPackages.${i}.expiresAt`));
    const lastResort = args.lastResort === undefined ? undefined : check(args.lastResort, "lastResort.expiresAt");
    const result = await this.e2ee.uploadKeyPackages(deviceId, packages, lastResort, MAX_KEY_PACKAGES, now);
    if (!result.ok) {
      throw new AppError("too_many_key_packages", `A device holds at most ${MAX_KEY_PACKAGES} single-use KeyPackages`, {
        limit: MAX_KEY_PACKAGES,
        count: result.count,
      });
    }
    return { count: result.count, lastResort: result.lastResort };
  }

  async count(userId: string, deviceId: string) {
    await this.requireDevice(userId, deviceId);
    return this.e2ee.countKeyPackages(deviceId, Date.now());
  }

  /** Claims for the caller and for users whose presence the caller may see (a shared conversation, or a contact). */
  async claim(userId: string, userIds: readonly string[]): Promise<{ keyPackages: ClaimedKeyPackage[] }> {
    await this.requireVisible(userId, userIds);
    const claimed = await this.e2ee.claimKeyPackages(userIds, Date.now());
    return {
      keyPackages: claimed.map((c) => ({
        userId: c.userId,
        deviceId: c.deviceId,
        signatureKey: toBase64Url(c.signatureKey),
        keyPackage: toBase64Url(c.data),
        lastResort: c.lastResort,
      })),
    };
  }

  async groupInfo(userId: string, conversationId: string): Promise<{ epoch: number; groupInfo: string | null }> {
    requireCurrentMember(await this.store.getMembership(conversationId, userId));
    const info = await this.e2ee.getGroupInfo(conversationId);
    if (info === undefined) throw new AppError("not_found", "Conversation not found");
    return { epoch: info.epoch, groupInfo: info.groupInfo === null ? null : toBase64Url(info.groupInfo) };
  }

  async welcomes(userId: string, deviceId: string): Promise<{ welcomes: MlsWelcome[] }> {
    await this.requireDevice(userId, deviceId);
    return { welcomes: (await this.e2ee.listWelcomes(deviceId)).map(welcomeView) };
  }

  async ackWelcomes(userId: string, deviceId: string, ids: readonly string[]): Promise<{ deleted: number }> {
    await this.requireDevice(userId, deviceId);
    return { deleted: await this.e2ee.ackWelcomes(deviceId, ids) };
  }

  /** The MLS part of a `messages.send` in an encrypted conversation: the calling device must be registered. */
  async applicationMessage(userId: string, deviceId: string, mls: { epoch: number; data: string }): Promise<MlsDraft> {
    await this.requireDevice(userId, deviceId);
    return { epoch: mls.epoch, deviceId, data: fromBase64Url(mls.data) };
  }

  /** `e2ee.commit`: appended through the log with compare-and-set on the epoch; Welcomes announced to their users. */
  async commit(userId: string, deviceId: string, args: OpArgs<"e2ee.commit">, origin: Origin): Promise<{ message: Message }> {
    // Access first (§6.1: an outsider learns nothing, not even that a device is missing), then the device.
    requireCurrentMember(await this.store.getMembership(args.conversationId, userId));
    await this.requireDevice(userId, deviceId);
    const welcome =
      args.welcome === undefined
        ? undefined
        : { id: newId(), data: fromBase64Url(args.welcome.data), deviceIds: args.welcome.deviceIds };
    const outcome = await this.log.submit(
      {
        id: newId(),
        conversationId: args.conversationId,
        senderId: userId,
        createdAt: Date.now(),
        mls: { epoch: args.epoch, deviceId, data: fromBase64Url(args.commit) },
        groupInfo: fromBase64Url(args.groupInfo),
        ...(welcome === undefined ? {} : { welcome }),
      },
      origin,
    );
    if (!outcome.ok) {
      if (outcome.code === "not_found") throw new AppError("not_found", "Conversation not found");
      if (outcome.code === "not_member") {
        requireCurrentMember(await this.store.getMembership(args.conversationId, userId));
        throw new AppError("not_member", "You are not a member of this conversation");
      }
      throw new AppError(outcome.code, outcome.message, outcome.details);
    }
    if (welcome !== undefined) await this.announceWelcome(welcome, args.conversationId, args.epoch + 1, outcome.message);
    return { message: outcome.message };
  }

  private async announceWelcome(
    welcome: { id: string; data: Uint8Array; deviceIds: readonly string[] },
    conversationId: string,
    epoch: number,
    entry: Message,
  ): Promise<void> {
    // The log checked every recipient; their users are read once to address the events.
    const wanted = new Set(welcome.deviceIds);
    const members = await this.e2ee.listDevices(await this.memberIdsOf(welcome.deviceIds), entry.createdAt);
    const data = toBase64Url(welcome.data);
    for (const device of members) {
      if (!wanted.has(device.deviceId)) continue;
      await this.delivery.toUsers([device.userId], "e2ee.welcome", {
        id: welcome.id,
        conversationId,
        epoch,
        deviceId: device.deviceId,
        data,
        createdAt: entry.createdAt,
      });
    }
  }

  private async memberIdsOf(deviceIds: readonly string[]): Promise<string[]> {
    return this.e2ee.deviceOwners(deviceIds);
  }
}
