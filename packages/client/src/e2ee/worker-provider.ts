// An MlsProvider whose work runs elsewhere: in a browser, in a Web Worker, so that MLS commits and decryption never
// block the page. Two halves over one message port (a Worker, or a MessagePort): `serveMlsProvider` hosts the real
// provider (TsMlsProvider) on the worker's side, `PortMlsProvider` implements MlsProvider on the page's side by
// posting each call there. E2ee cannot tell the difference. Group states travel with each call (structured clone);
// E2ee keeps them in its MlsStateStore on the page's side, as with any provider.
//
// The page starts the conversation: `connect` asks (`hello`) and the worker answers `ready` once its provider is (or
// `failed`). A Web Worker's messages are dispatched at once, and one arriving before the page listens is lost: an
// announcement the worker made by itself when ready was lost whenever the page was slower than the worker (the MLS
// chunk still loading on a busy page), and the start waited forever.
//
// The credential check runs where the directory is (the page's E2ee): the worker asks the page for each leaf it meets.
// `epoch` and `members` are synchronous in MlsProvider (they only decode a state, no cryptography), so the page's
// half answers them with a local provider.

import type {
  CommitResult,
  CredentialCheck,
  MlsDeviceKeys,
  MlsIdentity,
  MlsProvider,
  OwnKeyPackage,
  ProcessResult,
} from "./mls-provider.js";

/** The asynchronous methods of MlsProvider, the ones that cross the port. */
export type MlsCallName =
  | "newDevice"
  | "createKeyPackages"
  | "createGroup"
  | "commit"
  | "join"
  | "joinExternal"
  | "encrypt"
  | "process";

/** Page → worker. */
export type MlsRequest =
  | { type: "hello" }
  | { type: "call"; id: number; method: MlsCallName; args: unknown[] }
  | { type: "checked"; id: number; ok: boolean };

/** Worker → page. `ready` and `failed` with id 0 answer `hello`. */
export type MlsResponse =
  | { type: "ready"; ciphersuite: string }
  | { type: "result"; id: number; value: unknown }
  | { type: "failed"; id: number; message: string }
  | { type: "check"; id: number; identity: MlsIdentity; signaturePublicKey: Uint8Array };

/** What both a Worker (page side), the worker's global scope and a MessagePort offer. */
export interface MlsPort {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  start?(): void;
}

/** How long `PortMlsProvider.connect` waits for the worker's answer by default (loading its code on a busy machine). */
export const CONNECT_TIMEOUT_MS = 30_000;

/** Worker side: answers the page's calls with `create(check)`'s provider (say, TsMlsProvider.create). */
export function serveMlsProvider(port: MlsPort, create: (check: CredentialCheck) => Promise<MlsProvider>): void {
  const checks = new Map<number, (ok: boolean) => void>();
  let nextCheck = 1;
  const check: CredentialCheck = (identity, signaturePublicKey) =>
    new Promise((resolve) => {
      const id = nextCheck++;
      checks.set(id, resolve);
      port.postMessage({ type: "check", id, identity, signaturePublicKey } satisfies MlsResponse);
    });
  // Settled into a value: a provider that cannot be made is no unhandled rejection, its reason answers every `hello`
  // and call.
  const made: Promise<{ mls: MlsProvider } | { error: unknown }> = create(check).then(
    (mls) => ({ mls }),
    (error: unknown) => ({ error }),
  );
  port.addEventListener("message", (event) => {
    const request = event.data as MlsRequest;
    if (request.type === "checked") {
      checks.get(request.id)?.(request.ok);
      checks.delete(request.id);
      return;
    }
    if (request.type === "hello") {
      // Answered whenever asked (a page that connects again is answered again), once the provider is made.
      void made.then((m) =>
        port.postMessage(
          "mls" in m
            ? ({ type: "ready", ciphersuite: m.mls.ciphersuite } satisfies MlsResponse)
            : ({ type: "failed", id: 0, message: String(m.error) } satisfies MlsResponse),
        ),
      );
      return;
    }
    void (async () => {
      try {
        const m = await made;
        if (!("mls" in m)) throw m.error;
        const mls = m.mls;
        const method = mls[request.method] as (...args: unknown[]) => Promise<unknown>;
        const value = await method.apply(mls, request.args);
        port.postMessage({ type: "result", id: request.id, value } satisfies MlsResponse);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        port.postMessage({ type: "failed", id: request.id, message } satisfies MlsResponse);
      }
    })();
  });
  port.start?.();
}

/** Page side: an MlsProvider that posts every cryptographic call to `serveMlsProvider` across `port`. */
export class PortMlsProvider implements MlsProvider {
  readonly ciphersuite: string;
  readonly #port: MlsPort;
  readonly #local: Pick<MlsProvider, "epoch" | "members">;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #next = 1;

  private constructor(port: MlsPort, ciphersuite: string, local: Pick<MlsProvider, "epoch" | "members">) {
    this.#port = port;
    this.ciphersuite = ciphersuite;
    this.#local = local;
  }

  /**
   * Asks the worker whether its provider is ready and waits for the answer: at most `timeoutMs` (default
   * CONNECT_TIMEOUT_MS), then rejects (the worker's code did not load, or it does not answer). `check` answers the
   * worker's credential checks; `local` decodes states for `epoch` and `members` (a TsMlsProvider on the page:
   * decoding only).
   */
  static connect(
    port: MlsPort,
    check: CredentialCheck,
    local: Pick<MlsProvider, "epoch" | "members">,
    options: { timeoutMs?: number } = {},
  ): Promise<PortMlsProvider> {
    const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      let provider: PortMlsProvider | undefined;
      const timer = setTimeout(
        () => reject(new Error(`The MLS worker did not answer within ${Math.round(timeoutMs / 1000)} s`)),
        timeoutMs,
      );
      port.addEventListener("message", (event) => {
        const response = event.data as MlsResponse;
        switch (response.type) {
          case "ready":
            clearTimeout(timer);
            provider ??= new PortMlsProvider(port, response.ciphersuite, local);
            resolve(provider);
            return;
          case "check":
            check(response.identity, response.signaturePublicKey).then(
              (ok) => port.postMessage({ type: "checked", id: response.id, ok } satisfies MlsRequest),
              // A check that cannot be made (the directory is unreachable) refuses the credential.
              () => port.postMessage({ type: "checked", id: response.id, ok: false } satisfies MlsRequest),
            );
            return;
          case "result":
            if (provider) provider.#settle(response.id, (p) => p.resolve(response.value));
            return;
          case "failed":
            if (response.id === 0) {
              clearTimeout(timer);
              reject(new Error(`The MLS worker could not start: ${response.message}`));
            } else if (provider) provider.#settle(response.id, (p) => p.reject(new Error(response.message)));
            return;
        }
      });
      port.start?.();
      // Asked only now that the page listens: the answer cannot arrive before.
      port.postMessage({ type: "hello" } satisfies MlsRequest);
    });
  }

  #settle(id: number, how: (pending: { resolve: (value: unknown) => void; reject: (error: Error) => void }) => void): void {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (pending) how(pending);
  }

  #call<T>(method: MlsCallName, ...args: unknown[]): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#port.postMessage({ type: "call", id, method, args } satisfies MlsRequest);
    });
  }

  newDevice(identity: MlsIdentity): Promise<MlsDeviceKeys> {
    return this.#call("newDevice", identity);
  }

  createKeyPackages(device: MlsDeviceKeys, count: number, lifetimeMs: number): Promise<OwnKeyPackage[]> {
    return this.#call("createKeyPackages", device, count, lifetimeMs);
  }

  createGroup(device: MlsDeviceKeys, groupId: string): Promise<Uint8Array> {
    return this.#call("createGroup", device, groupId);
  }

  commit(state: Uint8Array, change: { add?: readonly Uint8Array[]; remove?: readonly MlsIdentity[] }): Promise<CommitResult> {
    return this.#call("commit", state, change);
  }

  join(
    device: MlsDeviceKeys,
    welcome: Uint8Array,
    keyPackages: readonly OwnKeyPackage[],
  ): Promise<{ state: Uint8Array; epoch: number; used: string }> {
    return this.#call("join", device, welcome, keyPackages);
  }

  joinExternal(device: MlsDeviceKeys, groupInfo: Uint8Array): Promise<CommitResult> {
    return this.#call("joinExternal", device, groupInfo);
  }

  encrypt(state: Uint8Array, plaintext: Uint8Array): Promise<{ state: Uint8Array; epoch: number; message: Uint8Array }> {
    return this.#call("encrypt", state, plaintext);
  }

  process(state: Uint8Array, message: Uint8Array): Promise<ProcessResult> {
    return this.#call("process", state, message);
  }

  epoch(state: Uint8Array): number {
    return this.#local.epoch(state);
  }

  members(state: Uint8Array): MlsIdentity[] {
    return this.#local.members(state);
  }
}
