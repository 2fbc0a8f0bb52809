// The E2eeStore in PostgreSQL (the tables of migrations 20 and 21).

import type {
  ClaimedKeyPackageRecord,
  DeviceRecord,
  E2eeStore,
  KeyPackageCount,
  KeyPackageInput,
  WelcomeRecord,
} from "../../ports/e2ee-store.js";
import type { PostgresHandle } from "./postgres-handle.js";

const DEVICE_COLUMNS =
  'd.user_id AS "userId", d.device_id AS "deviceId", d.signature_key AS "signatureKey", d.created_at AS "registeredAt"';

const COUNT =
  'SELECT count(*) FILTER (WHERE NOT last_resort) AS count, coalesce(bool_or(last_resort), false) AS "lastResort" ' +
  "FROM e2ee_key_packages WHERE device_id = $1 AND expires_at > $2";

/** A role over the store's shared handle (`PostgresStore.handle`: its pool, bigint parsing, timeouts and schema). */
export class PostgresE2eeStore implements E2eeStore {
  constructor(private readonly db: PostgresHandle) {}

  async registerDevice(input: { userId: string; deviceId: string; signatureKey: Uint8Array; now: number }) {
    const inserted = await this.db.rows(
      `INSERT INTO e2ee_devices (device_id, user_id, signature_key, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (device_id) DO NOTHING RETURNING device_id`,
      [input.deviceId, input.userId, Buffer.from(input.signatureKey), input.now],
    );
    if (inserted.length > 0) {
      const { userId, deviceId, signatureKey, now } = input;
      return { outcome: "registered" as const, device: { userId, deviceId, signatureKey, registeredAt: now } };
    }
    const [existing] = await this.db.rows<DeviceRecord>(
      `SELECT ${DEVICE_COLUMNS} FROM e2ee_devices AS d WHERE d.device_id = $1`,
      [input.deviceId],
    );
    const same = existing!.userId === input.userId && Buffer.from(existing!.signatureKey).equals(Buffer.from(input.signatureKey));
    return { outcome: same ? ("unchanged" as const) : ("conflict" as const), device: existing! };
  }

  async claimExpiredDevices(now: number, limit: number): Promise<{ deviceId: string; userId: string }[]> {
    // A device another node claimed meanwhile is gone when this DELETE reaches its row: each is returned once.
    return this.db.rows<{ deviceId: string; userId: string }>(
      `DELETE FROM e2ee_devices WHERE device_id IN (
         SELECT d.device_id FROM e2ee_devices AS d JOIN sessions AS s ON s.id = d.device_id
         WHERE s.expires_at <= $1 AND s.revoked_at IS NULL LIMIT $2)
       RETURNING device_id AS "deviceId", user_id AS "userId"`,
      [now, limit],
    );
  }

  async deviceOwners(deviceIds: readonly string[]): Promise<string[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.db.rows<{ userId: string }>(
      'SELECT DISTINCT user_id AS "userId" FROM e2ee_devices WHERE device_id = ANY($1::text[]) ORDER BY 1',
      [deviceIds],
    );
    return rows.map((r) => r.userId);
  }

  async listDevices(userIds: readonly string[], now: number): Promise<DeviceRecord[]> {
    if (userIds.length === 0) return [];
    return this.db.rows<DeviceRecord>(
      `SELECT ${DEVICE_COLUMNS} FROM e2ee_devices AS d
       JOIN sessions AS s ON s.id = d.device_id AND s.revoked_at IS NULL AND s.expires_at > $2
       WHERE d.user_id = ANY($1::text[]) ORDER BY d.user_id, d.created_at, d.device_id`,
      [userIds, now],
    );
  }

  async uploadKeyPackages(
    deviceId: string,
    packages: readonly KeyPackageInput[],
    lastResort: KeyPackageInput | undefined,
    max: number,
    now: number,
  ): Promise<{ ok: boolean } & KeyPackageCount> {
    return this.db.transaction(async (client) => {
      // The device's row lock serializes its uploads, so two of them cannot both pass the limit.
      await client.query("SELECT 1 FROM e2ee_devices WHERE device_id = $1 FOR UPDATE", [deviceId]);
      await client.query("DELETE FROM e2ee_key_packages WHERE device_id = $1 AND expires_at <= $2", [deviceId, now]);
      const before = (await client.query<KeyPackageCount>(COUNT, [deviceId, now])).rows[0]!;
      if (before.count + packages.length > max) return { ok: false, ...before };
      if (packages.length > 0) {
        await client.query(
          `INSERT INTO e2ee_key_packages (device_id, last_resort, data, expires_at, created_at)
           SELECT $1, false, p.data, p.expires_at, $4 FROM unnest($2::bytea[], $3::bigint[]) AS p (data, expires_at)`,
          [deviceId, packages.map((p) => Buffer.from(p.data)), packages.map((p) => p.expiresAt), now],
        );
      }
      if (lastResort !== undefined) {
        await client.query("DELETE FROM e2ee_key_packages WHERE device_id = $1 AND last_resort", [deviceId]);
        await client.query(
          "INSERT INTO e2ee_key_packages (device_id, last_resort, data, expires_at, created_at) VALUES ($1, true, $2, $3, $4)",
          [deviceId, Buffer.from(lastResort.data), lastResort.expiresAt, now],
        );
      }
      return { ok: true, ...(await client.query<KeyPackageCount>(COUNT, [deviceId, now])).rows[0]! };
    });
  }

  async countKeyPackages(deviceId: string, now: number): Promise<KeyPackageCount> {
    const [row] = await this.db.rows<KeyPackageCount>(COUNT, [deviceId, now]);
    return row!;
  }

  async claimKeyPackages(userIds: readonly string[], now: number): Promise<ClaimedKeyPackageRecord[]> {
    if (userIds.length === 0) return [];
    return this.db.transaction(async (client) => {
      const devices = (
        await client.query<DeviceRecord>(
          `SELECT ${DEVICE_COLUMNS} FROM e2ee_devices AS d
           JOIN sessions AS s ON s.id = d.device_id AND s.revoked_at IS NULL AND s.expires_at > $2
           WHERE d.user_id = ANY($1::text[]) ORDER BY d.user_id, d.created_at, d.device_id`,
          [userIds, now],
        )
      ).rows;
      const claimed: ClaimedKeyPackageRecord[] = [];
      for (const device of devices) {
        // SKIP LOCKED: a concurrent claim takes the next package instead of waiting for (and then missing) this one.
        const taken = await client.query<{ data: Uint8Array }>(
          `DELETE FROM e2ee_key_packages WHERE id = (
             SELECT id FROM e2ee_key_packages WHERE device_id = $1 AND NOT last_resort AND expires_at > $2
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING data`,
          [device.deviceId, now],
        );
        let data = taken.rows[0]?.data;
        const lastResort = data === undefined;
        if (data === undefined) {
          data = (
            await client.query<{ data: Uint8Array }>(
              "SELECT data FROM e2ee_key_packages WHERE device_id = $1 AND last_resort AND expires_at > $2",
              [device.deviceId, now],
            )
          ).rows[0]?.data;
        }
        if (data === undefined) continue;
        claimed.push({ userId: device.userId, deviceId: device.deviceId, signatureKey: device.signatureKey, data, lastResort });
      }
      await client.query("DELETE FROM e2ee_key_packages WHERE device_id = ANY($1::text[]) AND expires_at <= $2", [
        devices.map((d) => d.deviceId),
        now,
      ]);
      return claimed;
    });
  }

  async getGroupInfo(conversationId: string): Promise<{ epoch: number; groupInfo: Uint8Array | null } | undefined> {
    const [row] = await this.db.rows<{ epoch: number; groupInfo: Uint8Array | null }>(
      'SELECT mls_epoch AS epoch, mls_group_info AS "groupInfo" FROM conversations WHERE id = $1',
      [conversationId],
    );
    return row;
  }

  async listWelcomes(deviceId: string): Promise<WelcomeRecord[]> {
    return this.db.rows<WelcomeRecord>(
      `SELECT w.id, w.conversation_id AS "conversationId", w.epoch, r.device_id AS "deviceId", w.data,
              w.created_at AS "createdAt"
       FROM e2ee_welcome_recipients AS r JOIN e2ee_welcomes AS w ON w.id = r.welcome_id
       WHERE r.device_id = $1 ORDER BY w.created_at, w.id`,
      [deviceId],
    );
  }

  async ackWelcomes(deviceId: string, ids: readonly string[]): Promise<number> {
    return this.db.transaction(async (client) => {
      const acked = await client.query(
        "DELETE FROM e2ee_welcome_recipients WHERE device_id = $1 AND welcome_id = ANY($2::text[])",
        [deviceId, ids],
      );
      await client.query(
        `DELETE FROM e2ee_welcomes AS w WHERE w.id = ANY($1::text[])
         AND NOT EXISTS (SELECT 1 FROM e2ee_welcome_recipients AS r WHERE r.welcome_id = w.id)`,
        [ids],
      );
      return acked.rowCount ?? 0;
    });
  }
}
