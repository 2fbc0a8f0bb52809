// The MlsProvider of the SDK, on ts-mls (MIT, not audited; docs/e2ee.md). The only module that imports ts-mls.

import {
  type CiphersuiteImpl,
  type ClientConfig,
  type ClientState,
  type Credential,
  createApplicationMessage,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPubAndRatchetTree,
  decodeGroupState,
  decodeMlsMessage,
  defaultCapabilities,
  defaultKeyPackageEqualityConfig,
  defaultKeyRetentionConfig,
  defaultPaddingConfig,
  emptyPskIndex,
  encodeGroupState,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  joinGroupExternal,
  type KeyPackage,
  type PrivateKeyPackage,
  type Proposal,
  processMessage,
  zeroOutUint8Array,
} from "ts-mls";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { decryptSenderData } from "ts-mls/privateMessage.js";
import {
  type CommitResult,
  type CredentialCheck,
  credentialIdentity,
  type MlsDeviceKeys,
  type MlsIdentity,
  type MlsProvider,
  type OwnKeyPackage,
  type ProcessResult,
  parseCredentialIdentity,
} from "./mls-provider.js";

const SUITE = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519" as const;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** The longest KeyPackage lifetime accepted from others, in seconds (the server allows 90 days). */
const MAX_LIFETIME_SECONDS = 90n * 86_400n;

/** How many groups' latest decoded states are kept between calls. */
const RECENT_STATES = 32;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function identityOf(credential: Credential): MlsIdentity | undefined {
  if (credential.credentialType !== "basic") return undefined;
  return parseCredentialIdentity(decoder.decode(credential.identity));
}

/** Private KeyPackage bytes: the three private keys, each with a one-byte length. */
function packPrivate(p: PrivateKeyPackage): Uint8Array {
  const parts = [p.initPrivateKey, p.hpkePrivateKey, p.signaturePrivateKey];
  const out = new Uint8Array(parts.reduce((n, x) => n + 2 + x.length, 0));
  let at = 0;
  for (const x of parts) {
    out[at] = x.length >> 8;
    out[at + 1] = x.length & 0xff;
    out.set(x, at + 2);
    at += 2 + x.length;
  }
  return out;
}

function unpackPrivate(bytes: Uint8Array): PrivateKeyPackage {
  const parts: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const length = (bytes[at]! << 8) | bytes[at + 1]!;
    parts.push(bytes.slice(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return { initPrivateKey: parts[0]!, hpkePrivateKey: parts[1]!, signaturePrivateKey: parts[2]! };
}

export class TsMlsProvider implements MlsProvider {
  readonly ciphersuite = SUITE;
  readonly #config: ClientConfig;
  /**
   * The decoded state behind the latest state bytes of each group (at most RECENT_STATES groups): decoding the whole
   * state (with its ratchet tree) on every call dominated a message's cost in large groups (docs/e2ee.md "Measured").
   * Only the newest state of a group is kept, so a superseded state's secrets do not stay in memory through it.
   */
  readonly #recent = new Map<string, { bytes: Uint8Array; state: ClientState }>();

  private constructor(
    private readonly cs: CiphersuiteImpl,
    check: CredentialCheck,
  ) {
    this.#config = {
      keyRetentionConfig: defaultKeyRetentionConfig,
      keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
      paddingConfig: defaultPaddingConfig,
      // Never ts-mls's default lifetimes or its accept-everything credential check (docs/e2ee.md).
      lifetimeConfig: { maximumTotalLifetime: MAX_LIFETIME_SECONDS, validateLifetimeOnReceive: true },
      authService: {
        async validateCredential(credential: Credential, signaturePublicKey: Uint8Array): Promise<boolean> {
          const identity = identityOf(credential);
          return identity !== undefined && (await check(identity, signaturePublicKey));
        },
      },
    };
  }

  /** `check` verifies every credential against the server's device directory. */
  static async create(check: CredentialCheck): Promise<TsMlsProvider> {
    return new TsMlsProvider(await getCiphersuiteImpl(getCiphersuiteFromName(SUITE)), check);
  }

  async newDevice(identity: MlsIdentity): Promise<MlsDeviceKeys> {
    const keys = await this.cs.signature.keygen();
    return { ...identity, signaturePublicKey: keys.publicKey, signaturePrivateKey: keys.signKey };
  }

  async createKeyPackages(device: MlsDeviceKeys, count: number, lifetimeMs: number): Promise<OwnKeyPackage[]> {
    const credential: Credential = { credentialType: "basic", identity: encoder.encode(credentialIdentity(device)) };
    const now = Date.now();
    const lifetime = { notBefore: BigInt(Math.floor(now / 1000) - 60), notAfter: BigInt(Math.floor((now + lifetimeMs) / 1000)) };
    const out: OwnKeyPackage[] = [];
    for (let i = 0; i < count; i++) {
      const made = await generateKeyPackageWithKey(
        credential,
        defaultCapabilities(),
        lifetime,
        [],
        { signKey: device.signaturePrivateKey, publicKey: device.signaturePublicKey },
        this.cs,
      );
      out.push({
        ref: hex(await makeKeyPackageRef(made.publicPackage, this.cs.hash)),
        publicMessage: encodeMlsMessage({ version: "mls10", wireformat: "mls_key_package", keyPackage: made.publicPackage }),
        privateBytes: packPrivate(made.privatePackage),
        expiresAt: Number(lifetime.notAfter) * 1000,
      });
    }
    return out;
  }

  async createGroup(device: MlsDeviceKeys, groupId: string): Promise<Uint8Array> {
    const [own] = await this.createKeyPackages(device, 1, 3_600_000);
    const keyPackage = this.#keyPackage(own!.publicMessage);
    const state = await createGroup(
      encoder.encode(groupId),
      keyPackage,
      unpackPrivate(own!.privateBytes),
      [],
      this.cs,
      this.#config,
    );
    return encodeGroupState(state);
  }

  async commit(
    stateBytes: Uint8Array,
    change: { add?: readonly Uint8Array[]; remove?: readonly MlsIdentity[] },
  ): Promise<CommitResult> {
    const state = this.#take(stateBytes);
    const proposals: Proposal[] = [];
    for (const message of change.add ?? []) {
      proposals.push({ proposalType: "add", add: { keyPackage: this.#keyPackage(message) } });
    }
    const leaving = new Set((change.remove ?? []).map(credentialIdentity));
    state.ratchetTree.forEach((node, nodeIndex) => {
      if (node?.nodeType !== "leaf") return;
      const identity = identityOf(node.leaf.credential);
      if (identity && leaving.has(credentialIdentity(identity))) {
        proposals.push({ proposalType: "remove", remove: { removed: nodeIndex / 2 } });
      }
    });
    const epoch = Number(state.groupContext.epoch);
    const result = await createCommit({ state, cipherSuite: this.cs }, { extraProposals: proposals, ratchetTreeExtension: true });
    result.consumed.forEach(zeroOutUint8Array);
    const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(result.newState, [], this.cs);
    return {
      state: this.#keep(result.newState),
      epoch,
      commit: encodeMlsMessage(result.commit),
      groupInfo: encodeMlsMessage({ version: "mls10", wireformat: "mls_group_info", groupInfo }),
      ...(result.welcome === undefined
        ? {}
        : { welcome: encodeMlsMessage({ version: "mls10", wireformat: "mls_welcome", welcome: result.welcome }) }),
    };
  }

  async join(
    _device: MlsDeviceKeys,
    welcomeBytes: Uint8Array,
    keyPackages: readonly OwnKeyPackage[],
  ): Promise<{ state: Uint8Array; epoch: number; used: string }> {
    const decoded = decodeMlsMessage(welcomeBytes, 0)?.[0];
    if (decoded?.wireformat !== "mls_welcome") throw new Error("not a Welcome");
    const wanted = new Set(decoded.welcome.secrets.map((s) => hex(s.newMember)));
    const own = keyPackages.find((k) => wanted.has(k.ref));
    if (own === undefined) throw new Error("the Welcome is for none of this device's KeyPackages");
    const state = await joinGroup(
      decoded.welcome,
      this.#keyPackage(own.publicMessage),
      unpackPrivate(own.privateBytes),
      emptyPskIndex,
      this.cs,
      undefined,
      undefined,
      this.#config,
    );
    return { state: this.#keep(state), epoch: Number(state.groupContext.epoch), used: own.ref };
  }

  async joinExternal(device: MlsDeviceKeys, groupInfoBytes: Uint8Array): Promise<CommitResult> {
    const decoded = decodeMlsMessage(groupInfoBytes, 0)?.[0];
    if (decoded?.wireformat !== "mls_group_info") throw new Error("not a GroupInfo");
    const [own] = await this.createKeyPackages(device, 1, 3_600_000);
    const joined = await joinGroupExternal(
      decoded.groupInfo,
      this.#keyPackage(own!.publicMessage),
      unpackPrivate(own!.privateBytes),
      false,
      this.cs,
      undefined,
      this.#config,
    );
    const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(joined.newState, [], this.cs);
    return {
      state: this.#keep(joined.newState),
      epoch: Number(decoded.groupInfo.groupContext.epoch),
      commit: encodeMlsMessage({ version: "mls10", wireformat: "mls_public_message", publicMessage: joined.publicMessage }),
      groupInfo: encodeMlsMessage({ version: "mls10", wireformat: "mls_group_info", groupInfo }),
    };
  }

  async encrypt(stateBytes: Uint8Array, plaintext: Uint8Array) {
    const state = this.#take(stateBytes);
    const result = await createApplicationMessage(state, plaintext, this.cs);
    result.consumed.forEach(zeroOutUint8Array);
    return {
      state: this.#keep(result.newState),
      epoch: Number(state.groupContext.epoch),
      message: encodeMlsMessage({ version: "mls10", wireformat: "mls_private_message", privateMessage: result.privateMessage }),
    };
  }

  async process(stateBytes: Uint8Array, messageBytes: Uint8Array): Promise<ProcessResult> {
    const state = this.#take(stateBytes);
    const decoded = decodeMlsMessage(messageBytes, 0)?.[0];
    if (decoded?.wireformat !== "mls_private_message" && decoded?.wireformat !== "mls_public_message") {
      throw new Error("not an MLS group message");
    }
    const result = await processMessage(decoded, state, emptyPskIndex, () => "accept", this.cs);
    result.consumed.forEach(zeroOutUint8Array);
    const epoch = Number(result.newState.groupContext.epoch);
    if (result.kind === "applicationMessage" && decoded.wireformat === "mls_private_message") {
      // The library verified the signature of the leaf its sender data names; that leaf's credential is the sender.
      const pm = decoded.privateMessage;
      const receiver =
        pm.epoch === state.groupContext.epoch
          ? { senderDataSecret: state.keySchedule.senderDataSecret, ratchetTree: state.ratchetTree }
          : state.historicalReceiverData.get(pm.epoch);
      const senderData = receiver && (await decryptSenderData(pm, receiver.senderDataSecret, this.cs));
      const leaf = senderData === undefined ? undefined : receiver?.ratchetTree[senderData.leafIndex * 2];
      const sender = leaf?.nodeType === "leaf" ? identityOf(leaf.leaf.credential) : undefined;
      if (sender === undefined) throw new Error("the sender of an application message is not a Parley device");
      return { kind: "application", state: this.#keep(result.newState), epoch, plaintext: result.message, sender };
    }
    if (result.kind === "applicationMessage") throw new Error("an application message must be a PrivateMessage");
    return { kind: "commit", state: this.#keep(result.newState), epoch };
  }

  epoch(stateBytes: Uint8Array): number {
    return Number(this.#peek(stateBytes).groupContext.epoch);
  }

  members(stateBytes: Uint8Array): MlsIdentity[] {
    const out: MlsIdentity[] = [];
    for (const node of this.#peek(stateBytes).ratchetTree) {
      if (node?.nodeType !== "leaf") continue;
      const identity = identityOf(node.leaf.credential);
      if (identity) out.push(identity);
    }
    return out;
  }

  #keyPackage(message: Uint8Array): KeyPackage {
    const decoded = decodeMlsMessage(message, 0)?.[0];
    if (decoded?.wireformat !== "mls_key_package") throw new Error("not a KeyPackage");
    return decoded.keyPackage;
  }

  /**
   * The state of `bytes`, taken out of the cache of recent states (a call that fails leaves nothing half-used there),
   * or decoded.
   */
  #take(bytes: Uint8Array): ClientState {
    for (const [group, recent] of this.#recent) {
      if (sameBytes(recent.bytes, bytes)) {
        this.#recent.delete(group);
        return recent.state;
      }
    }
    return this.#decode(bytes);
  }

  /** The state of `bytes` for reading only. */
  #peek(bytes: Uint8Array): ClientState {
    for (const recent of this.#recent.values()) if (sameBytes(recent.bytes, bytes)) return recent.state;
    return this.#decode(bytes);
  }

  /** The bytes of a new state, which is kept (in place of its group's previous one) for the next call. */
  #keep(state: ClientState): Uint8Array {
    const bytes = encodeGroupState(state);
    const group = hex(state.groupContext.groupId);
    this.#recent.delete(group);
    this.#recent.set(group, { bytes: bytes.slice(), state });
    if (this.#recent.size > RECENT_STATES) this.#recent.delete(this.#recent.keys().next().value!);
    return bytes;
  }

  #decode(bytes: Uint8Array): ClientState {
    const decoded = decodeGroupState(bytes, 0);
    if (decoded === undefined) throw new Error("a corrupt MLS group state");
    return { ...decoded[0], clientConfig: this.#config };
  }
}
