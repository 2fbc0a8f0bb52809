// The MLS directories of end-to-end encryption (docs/e2ee.md): devices with their signature keys, KeyPackages, and the
// delivery service's reads (latest GroupInfo, pending Welcomes). Commits and MLS messages are entries of the
// conversation log (`MessageStore.append` with a `CommitDraft` or a `MessageDraft` carrying `mls`).

/** A device session's MLS signature key. Only devices whose session is live (not revoked, not expired) are listed. */
export interface DeviceRecord {
  userId: string;
  deviceId: string;
  signatureKey: Uint8Array;
  registeredAt: number;
}

export interface KeyPackageInput {
  data: Uint8Array;
  /** ms since the epoch; the service checked its bounds. */
  expiresAt: number;
}

export interface ClaimedKeyPackageRecord {
  userId: string;
  deviceId: string;
  signatureKey: Uint8Array;
  data: Uint8Array;
  lastResort: boolean;
}

export interface WelcomeRecord {
  id: string;
  conversationId: string;
  epoch: number;
  deviceId: string;
  data: Uint8Array;
  createdAt: number;
}

export interface KeyPackageCount {
  /** Unexpired single-use packages. */
  count: number;
  /** Whether an unexpired last-resort package is stored. */
  lastResort: boolean;
}

export interface E2eeStore {
  /**
   * Binds `signatureKey` to the device session `deviceId` of `userId`: `registered` the first time, `unchanged` for
   * the same key again, `conflict` (nothing changed) for another key.
   */
  registerDevice(input: {
    userId: string;
    deviceId: string;
    signatureKey: Uint8Array;
    now: number;
  }): Promise<{ outcome: "registered" | "unchanged" | "conflict"; device: DeviceRecord }>;
  /** The users the devices `deviceIds` belong to (unknown ids are ignored). */
  deviceOwners(deviceIds: readonly string[]): Promise<string[]>;
  /**
   * Removes from the directory up to `limit` registered devices whose session expired by `now` (a revoked session's
   * device is announced when it is revoked, not here) and returns them. Each is returned to exactly one caller, so one
   * node of a cluster announces it.
   */
  claimExpiredDevices(now: number, limit: number): Promise<{ deviceId: string; userId: string }[]>;
  /** The live registered devices of these users, by user then registration time. */
  listDevices(userIds: readonly string[], now: number): Promise<DeviceRecord[]>;
  /**
   * Stores single-use packages (refused whole, `ok: false`, when the device would hold more than `max` unexpired
   * ones) and replaces the last-resort package when one is given; deletes the device's expired packages.
   */
  uploadKeyPackages(
    deviceId: string,
    packages: readonly KeyPackageInput[],
    lastResort: KeyPackageInput | undefined,
    max: number,
    now: number,
  ): Promise<{ ok: boolean } & KeyPackageCount>;
  countKeyPackages(deviceId: string, now: number): Promise<KeyPackageCount>;
  /**
   * One package per live registered device of `userIds`, in one transaction: the oldest unexpired single-use package
   * (deleted) or else the last-resort one (kept). Devices with neither are left out. Expired packages are deleted.
   */
  claimKeyPackages(userIds: readonly string[], now: number): Promise<ClaimedKeyPackageRecord[]>;
  /** The conversation's current epoch and latest GroupInfo; undefined for an unknown conversation. */
  getGroupInfo(conversationId: string): Promise<{ epoch: number; groupInfo: Uint8Array | null } | undefined>;
  /** The Welcomes waiting for `deviceId`, oldest first. */
  listWelcomes(deviceId: string): Promise<WelcomeRecord[]>;
  /** Forgets these Welcomes for `deviceId` (a Welcome nobody waits for any more is deleted); how many were pending. */
  ackWelcomes(deviceId: string, ids: readonly string[]): Promise<number>;
}
