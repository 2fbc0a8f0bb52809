import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AuthorIndex, coveredLength, coveredRanges, groupAudience, mergeRanges, type ReceiptChange } from "./receipt-audience.js";

const change = (userId: string, from: [number, number], to: [number, number]): ReceiptChange => ({
  previous: { deliveredSeq: from[0], readSeq: from[1] },
  state: { userId, deliveredSeq: to[0], readSeq: to[1] },
});

function index(entries: [number, string][]): AuthorIndex {
  const out = new AuthorIndex();
  for (const [seq, sender] of entries) out.add(seq, sender);
  return out;
}

/** Recipient → the member ids whose states they receive (sorted), for order-free comparison. */
function byRecipient(dispatches: ReturnType<typeof groupAudience>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of dispatches) for (const u of d.userIds) out[u] = d.receipts.map((r) => r.userId).sort();
  return out;
}

describe("receipt audience", () => {
  it("covered ranges: read and delivered advances, merged when they touch", () => {
    assert.deepEqual(coveredRanges(change("b", [3, 1], [5, 1])), [[3, 5]]);
    assert.deepEqual(coveredRanges(change("b", [5, 1], [5, 2])), [[1, 2]]);
    assert.deepEqual(coveredRanges(change("b", [9, 1], [10, 2])), [
      [1, 2],
      [9, 10],
    ]);
    assert.deepEqual(coveredRanges(change("b", [4, 1], [6, 6])), [[1, 6]]);
    assert.deepEqual(coveredRanges(change("b", [4, 1], [6, 4])), [[1, 6]], "touching ranges are joined");
    assert.deepEqual(coveredRanges(change("b", [4, 1], [4, 1])), []);
    assert.equal(coveredLength(coveredRanges(change("b", [9, 1], [10, 2]))), 2);
  });

  it("merges ranges into sorted disjoint ones", () => {
    assert.deepEqual(
      mergeRanges([
        [10, 12],
        [0, 3],
        [2, 5],
        [5, 7],
        [20, 21],
      ]),
      [
        [0, 7],
        [10, 12],
        [20, 21],
      ],
    );
    assert.deepEqual(mergeRanges([]), []);
  });

  it("finds authors with after < seq ≤ max", () => {
    const authors = index([
      [2, "a"],
      [3, "c"],
      [5, "a"],
      [8, "d"],
    ]);
    const found = (after: number, max: number) => {
      const set = new Set<string>();
      authors.authorsIn(after, max, set);
      return [...set].sort();
    };
    assert.deepEqual(found(0, 2), ["a"]);
    assert.deepEqual(found(2, 3), ["c"]);
    assert.deepEqual(found(2, 8), ["a", "c", "d"]);
    assert.deepEqual(found(8, 20), []);
    assert.deepEqual(found(3, 4), []);
  });

  it("sends a change to its member and to the authors it newly covers, current members only", () => {
    const members = ["a", "b", "c", "d"];
    const authors = index([
      [2, "a"],
      [3, "c"],
      [4, "b"],
      [5, "gone"],
    ]);
    const dispatches = groupAudience(
      [
        change("b", [1, 1], [2, 1]), // b received a's seq 2
        change("d", [3, 1], [5, 5]), // d read 2..5 (a, c, b, a past member) and received 4..5
      ],
      members,
      authors,
      new Set(),
    );
    assert.deepEqual(byRecipient(dispatches), { a: ["b", "d"], b: ["b", "d"], c: ["d"], d: ["d"] });
    // Recipients of the same list share one event: {a, b} and {c, d}.
    assert.equal(dispatches.length, 2);
    assert.deepEqual(dispatches.find((d) => d.userIds.includes("a"))?.userIds.sort(), ["a", "b"]);
    assert.deepEqual(dispatches.find((d) => d.userIds.includes("c"))?.userIds.sort(), ["c", "d"]);
  });

  it("does not send a member their own messages' coverage twice, and sends everyone the changes marked so", () => {
    const members = ["a", "b", "c"];
    const authors = index([
      [2, "b"],
      [3, "a"],
    ]);
    const changes = [change("b", [1, 1], [2, 2]), change("c", [0, 0], [3, 0])];
    assert.deepEqual(byRecipient(groupAudience(changes, members, authors, new Set())), {
      a: ["c"],
      b: ["b", "c"],
      c: ["c"],
    });
    assert.deepEqual(byRecipient(groupAudience(changes, members, authors, new Set([0]))), {
      a: ["b", "c"],
      b: ["b", "c"],
      c: ["b", "c"],
    });
    // Without an index (the lookup failed) everyone gets everything.
    assert.deepEqual(byRecipient(groupAudience(changes, members, undefined, new Set())), {
      a: ["b", "c"],
      b: ["b", "c"],
      c: ["b", "c"],
    });
  });
});
