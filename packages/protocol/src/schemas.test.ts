// The operation schemas against docs/protocol.md: every documented request example is accepted, and the documented
// error cases (missing members, unknown members, too long or malformed values) are refused at the documented field.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { isOpName, OP_NAMES, type OpName, schemas } from "./index.js";

const SPEC = readFileSync(new URL("../../../docs/protocol.md", import.meta.url), "utf8");

const checks = new Map(OP_NAMES.map((op) => [op, TypeCompiler.Compile(schemas[op] as TSchema)]));

/** The path of the first member `args` break (`""` for the arguments as a whole), or null when `op` accepts them. */
function firstError(op: OpName, args: unknown): string | null {
  const check = checks.get(op)!;
  if (check.Check(args)) return null;
  return check.Errors(args).First()?.path ?? "";
}

/** Every JSON object written on one line inside a fenced block, after an arrow prefix (`→`, `K_01 ←`) if any. */
function documentedObjects(): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [];
  for (const [, block] of SPEC.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
    for (const line of block!.split("\n")) {
      const json = line.replace(/^[^{]*?[→←]\s*/, "").trim();
      if (!json.startsWith("{")) continue;
      try {
        objects.push(JSON.parse(json));
      } catch {
        // An abridged example (`…` for the parts the reader can fill in) is prose, not a complete frame.
      }
    }
  }
  return objects;
}

const requests = documentedObjects().filter(
  (o): o is { rid: string; op: string; args: unknown } => typeof o["op"] === "string" && "args" in o,
);

describe("operation schemas accept the documented examples", () => {
  it("finds the request examples of docs/protocol.md", () => {
    assert.ok(requests.length >= 15, `only ${requests.length} request examples found: did the examples' format change?`);
  });

  for (const frame of requests) {
    it(`${frame.op} ${JSON.stringify(frame.args)}`, () => {
      assert.equal(typeof frame.rid, "string");
      assert.ok(isOpName(frame.op), `${frame.op} is an operation`);
      assert.equal(firstError(frame.op, frame.args), null);
    });
  }

  it("refuses each documented request with an unknown member added, naming the member (§1: strict arguments)", () => {
    for (const frame of requests) {
      if (!isOpName(frame.op)) continue;
      assert.equal(firstError(frame.op, { ...(frame.args as object), stray: 1 }), "/stray", frame.op);
    }
  });
});

/** Every object schema in `schema`, nested ones included. */
function objectSchemas(schema: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(schema)) for (const item of schema) objectSchemas(item, out);
  else if (schema !== null && typeof schema === "object") {
    const node = schema as Record<string, unknown>;
    if (node["type"] === "object" && node["properties"] !== undefined) out.push(node);
    for (const value of Object.values(node)) objectSchemas(value, out);
  }
  return out;
}

describe("operation schemas refuse the documented error cases", () => {
  it("every operation's arguments, at every depth, refuse unknown members", () => {
    for (const op of OP_NAMES) {
      for (const object of objectSchemas(schemas[op])) {
        assert.equal(object["additionalProperties"], false, `${op}: ${Object.keys(object["properties"] as object)}`);
      }
    }
  });

  it("arguments must be an object", () => {
    for (const op of OP_NAMES) assert.notEqual(firstError(op, [1]), null, op);
  });

  const id = (n: number) => "C".repeat(n);
  const send = { conversationId: "C_ab", clientId: "0193f1c2-7a10-7000-8000-5b1e2c3d4e5f", body: "hi" };
  const cases: [string, OpName, unknown, string][] = [
    ["a missing required member", "messages.send", { clientId: send.clientId, body: "hi" }, "/conversationId"],
    ["a member of the wrong type", "messages.send", { ...send, body: 5 }, "/body"],
    ["an id of 65 characters (ids are 1–64)", "messages.send", { ...send, conversationId: id(65) }, "/conversationId"],
    ["an empty id", "conversations.get", { conversationId: "" }, "/conversationId"],
    ["an id with a character outside A-Za-z0-9_-", "conversations.get", { conversationId: "C/ab" }, "/conversationId"],
    ["a clientId of 65 characters", "messages.send", { ...send, clientId: "x".repeat(65) }, "/clientId"],
    ["a hello token longer than 4096 (§4.3)", "hello", { versions: [1], token: "t".repeat(4097) }, "/token"],
    ["hello without versions", "hello", { token: "t" }, "/versions"],
    ["a version below 1", "hello", { versions: [0] }, "/versions/0"],
    ["a username with capitals", "auth.register", { username: "Ann", password: "correct horse" }, "/username"],
    ["a username of 2 characters", "auth.register", { username: "an", password: "correct horse" }, "/username"],
    ["a display name of 65 characters (§6.4: 1–64)", "me.update", { displayName: "d".repeat(65) }, "/displayName"],
    [
      "a group title of 129 characters (§6.5: 1–128)",
      "conversations.createGroup",
      { title: "t".repeat(129), memberIds: [] },
      "/title",
    ],
    [
      "a member role other than admin or member (§6.5)",
      "members.setRole",
      { conversationId: "C_1", userId: "U_1", role: "owner" },
      "/role",
    ],
    [
      "more than 500 user ids (§12.5)",
      "presence.query",
      { userIds: Array.from({ length: 501 }, (_, i) => `U_${i}`) },
      "/userIds",
    ],
    ["a sync cursor keyed by something that is not an id (§6.6)", "sync", { cursors: { "C ab": 1 } }, "/cursors"],
    ["a negative seq", "receipts.mark", { conversationId: "C_ab", read: -1 }, "/read"],
    ["a fractional seq", "receipts.mark", { conversationId: "C_ab", read: 1.5 }, "/read"],
    [
      "an emoji longer than 32 UTF-16 units (§6.8)",
      "messages.react",
      { conversationId: "C_ab", seq: 1, clientId: "r1", emoji: "😀".repeat(17) },
      "/emoji",
    ],
  ];
  for (const [what, op, args, field] of cases) {
    it(`${op}: ${what} → ${field}`, () => {
      const path = firstError(op, args);
      assert.notEqual(path, null, "refused");
      assert.ok(path === field || path!.startsWith(`${field}/`), `first error at ${path}, expected ${field}`);
    });
  }

  it("visible names (§15.2): control and bidirectional characters, and names with nothing to show, are refused", () => {
    for (const name of ["Ann\n", "A\u202Enn", "\u200B\u200B", "   ", "\u3164", ""]) {
      assert.equal(firstError("me.update", { displayName: name }), "/displayName", JSON.stringify(name));
    }
    assert.equal(firstError("me.update", { displayName: "Ann 👩‍👩‍👧" }), null, "joiners next to visible characters");
  });
});
