// Group commit's window: a quiet log commits at once, a busy one at most once per window with everything that arrived
// meanwhile, a full batch does not wait, and every draft is answered in order whatever the batching.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AppendOutcome, EntryDraft } from "../../ports/store.js";
import { GroupCommit } from "./group-commit.js";

/** A store that records its batches (sizes) and when each was written. */
function recordingStore() {
  const batches: { size: number; at: number }[] = [];
  let seq = 0;
  return {
    batches,
    store: {
      pipelinedAppends: true,
      append: async (drafts: readonly EntryDraft[]): Promise<AppendOutcome[]> => {
        batches.push({ size: drafts.length, at: performance.now() });
        return drafts.map(() => ({ ok: false, code: "not_found", message: `#${++seq}` }));
      },
    },
  };
}

const draft = {} as EntryDraft;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const label = (o: AppendOutcome) => (o.ok ? "ok" : o.message);

describe("GroupCommit", () => {
  it("without a window commits each event-loop turn's drafts as one batch", async () => {
    const { store, batches } = recordingStore();
    const commits = new GroupCommit(store, async () => {});
    const first = [commits.append(draft, {}), commits.append(draft, {})];
    await sleep(5);
    const second = commits.append(draft, {});
    assert.deepEqual((await Promise.all([...first, second])).map(label), ["#1", "#2", "#3"]);
    assert.deepEqual(
      batches.map((b) => b.size),
      [2, 1],
    );
  });

  it("with a window commits a quiet log's first draft at once and holds the next batch until the window has passed", async () => {
    const { store, batches } = recordingStore();
    const windowMs = 40;
    const commits = new GroupCommit(store, async () => {}, windowMs);
    const start = performance.now();
    const answers = [commits.append(draft, {})];
    await answers[0];
    assert.ok(batches[0]!.at - start < windowMs / 2, "the first draft of a quiet log does not wait");
    // Three drafts in three different turns, all within the window of the first commit: one batch.
    for (let i = 0; i < 3; i++) {
      answers.push(commits.append(draft, {}));
      await sleep(2);
    }
    assert.deepEqual((await Promise.all(answers)).map(label), ["#1", "#2", "#3", "#4"]);
    assert.deepEqual(
      batches.map((b) => b.size),
      [1, 3],
    );
    assert.ok(batches[1]!.at - batches[0]!.at >= windowMs - 1, "the second batch waited for the window");
    // After a quiet spell longer than the window, a draft is committed at once again.
    await sleep(windowMs + 10);
    const quiet = performance.now();
    await commits.append(draft, {});
    assert.ok(batches[2]!.at - quiet < windowMs / 2);
  });

  it("does not hold a full batch for the window", async () => {
    const { store, batches } = recordingStore();
    const commits = new GroupCommit(store, async () => {}, 10_000, 4);
    await commits.append(draft, {});
    const start = performance.now();
    await Promise.all([1, 2, 3, 4].map(() => commits.append(draft, {})));
    assert.ok(performance.now() - start < 1_000, "a full batch is committed without waiting 10 s");
    assert.deepEqual(
      batches.map((b) => b.size),
      [1, 4],
    );
  });

  it("drain waits for a batch held by the window", async () => {
    const { store, batches } = recordingStore();
    const commits = new GroupCommit(store, async () => {}, 30);
    await commits.append(draft, {});
    const held = commits.append(draft, {});
    await commits.drain();
    assert.equal(batches.length, 2);
    assert.equal(label(await held), "#2");
  });
});
