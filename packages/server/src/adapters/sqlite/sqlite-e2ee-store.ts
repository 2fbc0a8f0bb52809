// The E2eeStore in the embedded SQLite database (the tables of migrations 20 and 21).

import type {
  ClaimedKeyPackageRecord,
  DeviceRecord,
  E2eeStore,
  KeyPackageCount,
  KeyPackageInput,
  WelcomeRecord,
} from "../../ports/e2ee-store.js";
import type { SqliteHandle } from "./sqlite-handle.js";

const DEVICE_COLUMNS =
  "d.user_id AS userId, d.device_id AS deviceId, d.signature_key AS signatureKey, d.created_at AS registeredAt";
/** A device is listed while its session is live. */
const LIVE = "JOIN sessions AS s ON s.id = d.device_id AND s.revoked_at IS NULL AND s.expires_at > @now";

/** A role over the store's shared handle (`SqliteStore.handle`), which has already migrated the schema. */
export class SqliteE2eeStore implements E2eeStore {
  private readonly q;
  private readonly registerTx;
  private readonly uploadTx;
  private readonly claimTx;
  private readonly ackTx;

  constructor(handle: SqliteHandle) {
    const db = handle.db;
    const q = {
      device: db.prepare<[string], DeviceRecord>(`SELECT ${DEVICE_COLUMNS} FROM e2ee_devices AS d WHERE d.device_id = ?`),
      insertDevice: db.prepare<[string, string, Uint8Array, number]>(
        "INSERT INTO e2ee_devices (device_id, user_id, signature_key, created_at) VALUES (?, ?, ?, ?)",
      ),
      devicesOf: db.prepare<{ users: string; now: number }, DeviceRecord>(
        `SELECT ${DEVICE_COLUMNS} FROM e2ee_devices AS d ${LIVE}
         WHERE d.user_id IN (SELECT value FROM json_each(@users)) ORDER BY d.user_id, d.created_at, d.device_id`,
      ),
      claimExpired: db.prepare<[number, number], { deviceId: string; userId: string }>(
        `DELETE FROM e2ee_devices WHERE device_id IN (
           SELECT d.device_id FROM e2ee_devices AS d JOIN sessions AS s ON s.id = d.device_id
           WHERE s.expires_at <= ? AND s.revoked_at IS NULL LIMIT ?)
         RETURNING device_id AS deviceId, user_id AS userId`,
      ),
      owners: db
        .prepare<[string], string>(
          "SELECT DISTINCT user_id FROM e2ee_devices WHERE device_id IN (SELECT value FROM json_each(?)) ORDER BY user_id",
        )
        .pluck(),
      dropExpired: db.prepare<[string, number]>("DELETE FROM e2ee_key_packages WHERE device_id = ? AND expires_at <= ?"),
      count: db.prepare<[string], { count: number; lastResort: number }>(
        "SELECT coalesce(sum(last_resort = 0), 0) AS count, coalesce(max(last_resort), 0) AS lastResort " +
          "FROM e2ee_key_packages WHERE device_id = ?",
      ),
      insertPackage: db.prepare<[string, number, Uint8Array, number, number]>(
        "INSERT INTO e2ee_key_packages (device_id, last_resort, data, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
      ),
      dropLastResort: db.prepare<[string]>("DELETE FROM e2ee_key_packages WHERE device_id = ? AND last_resort = 1"),
      oldest: db.prepare<[string, number], { id: number; data: Uint8Array }>(
        "SELECT id, data FROM e2ee_key_packages WHERE device_id = ? AND last_resort = 0 AND expires_at > ? ORDER BY id LIMIT 1",
      ),
      lastResort: db.prepare<[string, number], { id: number; data: Uint8Array }>(
        "SELECT id, data FROM e2ee_key_packages WHERE device_id = ? AND last_resort = 1 AND expires_at > ?",
      ),
      deletePackage: db.prepare<[number]>("DELETE FROM e2ee_key_packages WHERE id = ?"),
      groupInfo: db.prepare<[string], { epoch: number; groupInfo: Uint8Array | null }>(
        "SELECT mls_epoch AS epoch, mls_group_info AS groupInfo FROM conversations WHERE id = ?",
      ),
      welcomes: db.prepare<[string], WelcomeRecord>(
        `SELECT w.id, w.conversation_id AS conversationId, w.epoch, r.device_id AS deviceId, w.data, w.created_at AS createdAt
         FROM e2ee_welcome_recipients AS r JOIN e2ee_welcomes AS w ON w.id = r.welcome_id
         WHERE r.device_id = ? ORDER BY w.created_at, w.id`,
      ),
      ackWelcome: db.prepare<[string, string]>("DELETE FROM e2ee_welcome_recipients WHERE device_id = ? AND welcome_id = ?"),
      dropUnwanted: db.prepare<[string, string]>(
        "DELETE FROM e2ee_welcomes WHERE id = ? AND NOT EXISTS (SELECT 1 FROM e2ee_welcome_recipients WHERE welcome_id = ?)",
      ),
    };
    this.q = q;
    this.registerTx = db.transaction((userId: string, deviceId: string, signatureKey: Uint8Array, now: number) => {
      const existing = q.device.get(deviceId);
      if (existing !== undefined) {
        const same = existing.userId === userId && Buffer.from(existing.signatureKey).equals(Buffer.from(signatureKey));
        return { outcome: same ? ("unchanged" as const) : ("conflict" as const), device: existing };
      }
      q.insertDevice.run(deviceId, userId, signatureKey, now);
      return { outcome: "registered" as const, device: { userId, deviceId, signatureKey, registeredAt: now } };
    });
    this.uploadTx = db.transaction(
      (deviceId: string, packages: readonly KeyPackageInput[], last: KeyPackageInput | undefined, max: number, now: number) => {
        q.dropExpired.run(deviceId, now);
        const before = this.countNow(deviceId);
        if (before.count + packages.length > max) return { ok: false, ...before };
        for (const p of packages) q.insertPackage.run(deviceId, 0, p.data, p.expiresAt, now);
        if (last !== undefined) {
          q.dropLastResort.run(deviceId);
          q.insertPackage.run(deviceId, 1, last.data, last.expiresAt, now);
        }
        return { ok: true, ...this.countNow(deviceId) };
      },
    );
    this.claimTx = db.transaction((userIds: readonly string[], now: number) => {
      const claimed: ClaimedKeyPackageRecord[] = [];
      for (const device of q.devicesOf.all({ users: JSON.stringify(userIds), now })) {
        q.dropExpired.run(device.deviceId, now);
        const single = q.oldest.get(device.deviceId, now);
        if (single !== undefined) q.deletePackage.run(single.id);
        const chosen = single ?? q.lastResort.get(device.deviceId, now);
        if (chosen === undefined) continue;
        claimed.push({
          userId: device.userId,
          deviceId: device.deviceId,
          signatureKey: device.signatureKey,
          data: chosen.data,
          lastResort: single === undefined,
        });
      }
      return claimed;
    });
    this.ackTx = db.transaction((deviceId: string, ids: readonly string[]) => {
      let acked = 0;
      for (const id of ids) {
        acked += q.ackWelcome.run(deviceId, id).changes;
        q.dropUnwanted.run(id, id);
      }
      return acked;
    });
  }

  private countNow(deviceId: string): KeyPackageCount {
    const row = this.q.count.get(deviceId);
    return { count: row?.count ?? 0, lastResort: (row?.lastResort ?? 0) === 1 };
  }

  async registerDevice(input: { userId: string; deviceId: string; signatureKey: Uint8Array; now: number }) {
    return this.registerTx(input.userId, input.deviceId, input.signatureKey, input.now);
  }

  async deviceOwners(deviceIds: readonly string[]): Promise<string[]> {
    return deviceIds.length === 0 ? [] : this.q.owners.all(JSON.stringify(deviceIds));
  }

  async claimExpiredDevices(now: number, limit: number): Promise<{ deviceId: string; userId: string }[]> {
    return this.q.claimExpired.all(now, limit);
  }

  async listDevices(userIds: readonly string[], now: number): Promise<DeviceRecord[]> {
    if (userIds.length === 0) return [];
    return this.q.devicesOf.all({ users: JSON.stringify(userIds), now });
  }

  async uploadKeyPackages(
    deviceId: string,
    packages: readonly KeyPackageInput[],
    lastResort: KeyPackageInput | undefined,
    max: number,
    now: number,
  ): Promise<{ ok: boolean } & KeyPackageCount> {
    return this.uploadTx(deviceId, packages, lastResort, max, now);
  }

  async countKeyPackages(deviceId: string, now: number): Promise<KeyPackageCount> {
    this.q.dropExpired.run(deviceId, now);
    return this.countNow(deviceId);
  }

  async claimKeyPackages(userIds: readonly string[], now: number): Promise<ClaimedKeyPackageRecord[]> {
    if (userIds.length === 0) return [];
    return this.claimTx(userIds, now);
  }

  async getGroupInfo(conversationId: string): Promise<{ epoch: number; groupInfo: Uint8Array | null } | undefined> {
    return this.q.groupInfo.get(conversationId);
  }

  async listWelcomes(deviceId: string): Promise<WelcomeRecord[]> {
    return this.q.welcomes.all(deviceId);
  }

  async ackWelcomes(deviceId: string, ids: readonly string[]): Promise<number> {
    return this.ackTx(deviceId, ids);
  }
}
