// The one interface between the SDK and an MLS implementation (docs/e2ee.md). Everything is bytes: group states, key
// packages and messages, so that an implementation can be replaced (say, by an audited OpenMLS build) without touching
// the rest of the SDK, and so that states can be persisted anywhere (a file, IndexedDB).
//
// Rule for callers: every method that changes a group returns the new state; persist it BEFORE sending anything the
// call produced, and never use the old state again (MLS forbids reusing a state after it produced a message).

/** A device as MLS identifies it: the credential binds the signature key to (userId, deviceId). */
export interface MlsIdentity {
  userId: string;
  deviceId: string;
}

/** This device's MLS secrets: its identity and signature key pair (kept in the state store, never sent). */
export interface MlsDeviceKeys extends MlsIdentity {
  signaturePublicKey: Uint8Array;
  signaturePrivateKey: Uint8Array;
}

/** A KeyPackage this device made: the public part goes to the server, the private part stays until it is used. */
export interface OwnKeyPackage {
  /** Stable name of the package (hex of its RFC 9420 KeyPackageRef). */
  ref: string;
  /** The `MLSMessage` holding the KeyPackage, to upload. */
  publicMessage: Uint8Array;
  /** The private keys, opaque to the caller. */
  privateBytes: Uint8Array;
  /** When the package's lifetime ends (ms since the epoch). */
  expiresAt: number;
}

export interface CommitResult {
  state: Uint8Array;
  /** The epoch the commit was made in (the group is at `epoch + 1` after it). */
  epoch: number;
  commit: Uint8Array;
  /** The GroupInfo of the new epoch (with the ratchet tree and external public key). */
  groupInfo: Uint8Array;
  /** The Welcome for the added devices, when the commit adds some. */
  welcome?: Uint8Array;
}

/** What a processed message was; `sender` is the device whose leaf signed an application message. */
export type ProcessResult =
  | { kind: "application"; state: Uint8Array; epoch: number; plaintext: Uint8Array; sender: MlsIdentity }
  | { kind: "commit"; state: Uint8Array; epoch: number };

/**
 * Decides whether a credential may be in a group: the directory must list `identity` with exactly this signature key.
 * Called by the implementation for every leaf it meets (joins, commits, added members).
 */
export type CredentialCheck = (identity: MlsIdentity, signaturePublicKey: Uint8Array) => Promise<boolean>;

export interface MlsProvider {
  /** The MLS ciphersuite name. */
  readonly ciphersuite: string;
  /** A new signature key pair for this device. */
  newDevice(identity: MlsIdentity): Promise<MlsDeviceKeys>;
  /** `count` new KeyPackages of this device, valid for `lifetimeMs` from now. */
  createKeyPackages(device: MlsDeviceKeys, count: number, lifetimeMs: number): Promise<OwnKeyPackage[]>;
  /** A new group with this device as its only member, at epoch 0. */
  createGroup(device: MlsDeviceKeys, groupId: string): Promise<Uint8Array>;
  /**
   * A commit that adds the devices of `add` (KeyPackage `MLSMessage`s, each checked: signature, lifetime, credential)
   * and removes the devices in `remove` (those not in the group are ignored), with a path update (so it also rotates
   * the committer's keys when both are empty).
   */
  commit(state: Uint8Array, change: { add?: readonly Uint8Array[]; remove?: readonly MlsIdentity[] }): Promise<CommitResult>;
  /** Joins from a Welcome with whichever of `keyPackages` it was made for; which one is returned. */
  join(
    device: MlsDeviceKeys,
    welcome: Uint8Array,
    keyPackages: readonly OwnKeyPackage[],
  ): Promise<{ state: Uint8Array; epoch: number; used: string }>;
  /**
   * Joins a group by an external commit from its latest GroupInfo (RFC 9420 §12.4.3.2): the commit (a PublicMessage)
   * must then be accepted by the delivery service for the GroupInfo's epoch before the state is used.
   */
  joinExternal(device: MlsDeviceKeys, groupInfo: Uint8Array): Promise<CommitResult>;
  /** Encrypts an application message in the current epoch. */
  encrypt(state: Uint8Array, plaintext: Uint8Array): Promise<{ state: Uint8Array; epoch: number; message: Uint8Array }>;
  /** Processes a message of the group's stream: decrypts an application message or applies a commit. Throws if invalid. */
  process(state: Uint8Array, message: Uint8Array): Promise<ProcessResult>;
  /** The group's current epoch. */
  epoch(state: Uint8Array): number;
  /** The group's members. */
  members(state: Uint8Array): MlsIdentity[];
}

/** The identity text of a Parley credential (protocol §6.15). */
export function credentialIdentity(identity: MlsIdentity): string {
  return `parley:1:${identity.userId}:${identity.deviceId}`;
}

/** The (userId, deviceId) of a credential's identity text; undefined when it is not a Parley credential. */
export function parseCredentialIdentity(text: string): MlsIdentity | undefined {
  const match = /^parley:1:([A-Za-z0-9_-]{1,64}):([A-Za-z0-9_-]{1,64})$/.exec(text);
  return match ? { userId: match[1]!, deviceId: match[2]! } : undefined;
}
