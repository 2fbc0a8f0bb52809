// The shared fixture of the Store contract: the store under test, ids and usernames unique per run, a clock, and the
// helpers every role file of the contract uses to set up users, conversations and entries.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Message } from "@parley/protocol";
import { type AppendOutcome, type MembershipChange, type MessageDraft, type Store, StoreError } from "./store.js";

/**
 * A membership change through the store's one `append`, alone in its batch as a service submits it: the new system
 * entry, or the refusal thrown as a StoreError of the same code (tests assert refusals with `assert.rejects`).
 */
export async function applyChange(
  store: Pick<Store, "append">,
  input: { conversationId: string; actorId: string; change: MembershipChange; createdAt: number; messageId: string },
): Promise<Message> {
  const [outcome] = await store.append([
    {
      id: input.messageId,
      conversationId: input.conversationId,
      senderId: input.actorId,
      createdAt: input.createdAt,
      change: input.change,
    },
  ]);
  assert.ok(outcome, "missing outcome");
  if (outcome.ok) return outcome.message;
  const code = outcome.code;
  assert.ok(code === "not_found" || code === "not_member" || code === "conflict" || code === "group_full", code);
  throw new StoreError(code, outcome.message);
}

/** What the role files of the contract share: the store under test (set once the suite starts) and the helpers. */
export interface StoreFixture {
  readonly store: Store;
  /** This run's tag in every id and username. */
  readonly run: string;
  newId(prefix: string): string;
  now(): number;
  user(label?: string): Promise<string>;
  users(count: number): Promise<string[]>;
  group(ownerId: string, memberIds: string[], title?: string): Promise<string>;
  draft(conversationId: string, senderId: string, clientId?: string, body?: string): MessageDraft;
  ok(outcome: AppendOutcome | undefined): Message;
  send(conversationId: string, senderId: string): Promise<Message>;
  change(conversationId: string, actorId: string, c: MembershipChange): Promise<Message>;
  rejectsWith(promise: Promise<unknown>, code: StoreError["code"]): Promise<void>;
  lastSeq(conversationId: string): Promise<number>;
  allSeqs(conversationId: string): Promise<number[]>;
  range(from: number, to: number): number[];
  sorted(ids: readonly string[]): string[];
}

/** The fixture over the store `current()` returns (set once the suite starts); each call starts a run of its own. */
export function storeFixture(current: () => Store): StoreFixture {
  const run = randomUUID().replaceAll("-", "").slice(0, 8);
  let counter = 0;
  const newId = (prefix: string) => `${prefix}_${run}_${++counter}`;
  let clock = 1_700_000_000_000;
  const now = () => ++clock;

  async function user(label = "u"): Promise<string> {
    const id = newId(label);
    await current().createUser({
      id,
      username: `${label}${run}${counter}`.toLowerCase(),
      displayName: `User ${id}`,
      passwordHash: `hash-${id}`,
      createdAt: now(),
    });
    return id;
  }

  async function users(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await user());
    return ids;
  }

  async function group(ownerId: string, memberIds: string[], title = "Group"): Promise<string> {
    const id = newId("g");
    await current().createGroup({ id, title, ownerId, memberIds, createdAt: now(), messageId: newId("m") });
    return id;
  }

  function draft(conversationId: string, senderId: string, clientId = newId("c"), body = `body ${clientId}`): MessageDraft {
    return { id: newId("m"), conversationId, senderId, clientId, body, createdAt: now() };
  }

  function ok(outcome: AppendOutcome | undefined): Message {
    assert.ok(outcome, "missing outcome");
    if (!outcome.ok) assert.fail(`append failed: ${outcome.code} ${outcome.message}`);
    return outcome.message;
  }

  async function send(conversationId: string, senderId: string): Promise<Message> {
    const [outcome] = await current().append([draft(conversationId, senderId)]);
    const message = ok(outcome);
    assert.equal(outcome?.ok && outcome.duplicate, false);
    return message;
  }

  function change(conversationId: string, actorId: string, c: MembershipChange) {
    return applyChange(current(), { conversationId, actorId, change: c, createdAt: now(), messageId: newId("m") });
  }

  async function rejectsWith(promise: Promise<unknown>, code: StoreError["code"]): Promise<void> {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof StoreError, `expected StoreError, got ${String(error)}`);
      assert.equal(error.code, code);
      return true;
    });
  }

  async function lastSeq(conversationId: string): Promise<number> {
    const conversation = await current().getConversation(conversationId);
    assert.ok(conversation, `conversation ${conversationId} missing`);
    return conversation.lastSeq;
  }

  async function allSeqs(conversationId: string): Promise<number[]> {
    const history = await current().getHistory({ conversationId, minSeq: 0, maxSeq: 1e9, limit: 1e6, direction: "asc" });
    return history.map((m) => m.seq);
  }

  const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
  const sorted = (ids: readonly string[]) => [...ids].sort();

  return {
    get store() {
      return current();
    },
    run,
    newId,
    now,
    user,
    users,
    group,
    draft,
    ok,
    send,
    change,
    rejectsWith,
    lastSeq,
    allSeqs,
    range,
    sorted,
  };
}
