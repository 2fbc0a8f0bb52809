// End-to-end encryption (§6.15): the device and KeyPackage directories and the MLS delivery service. The server never
// parses MLS bytes, so the suite sends random ones: what it checks is the directory and the stream's rules.

import { randomBytes } from "node:crypto";
import type { OpName } from "@parley/protocol";
import { type Case, perTransport } from "../case.js";
import type { Actor, Ctx, OpTransport } from "../context.js";
import { check, expectError, expectOk } from "../expect.js";
import type { Json } from "../wire.js";
import { upload as uploadFile } from "./operations.js";

const b64 = (n: number) => randomBytes(n).toString("base64url");
const HOUR = 3_600_000;

/** The actor's device registered (idempotent: each actor has one session, hence one device and one key). */
const keys = new Map<string, string>();
async function registered(ctx: Ctx, as: Actor): Promise<Json> {
  const signatureKey = keys.get(as.id) ?? b64(32);
  keys.set(as.id, signatureKey);
  return expectOk(await ctx.call(as, "e2ee.devices.register", { signatureKey }, "ws"));
}

/** A fresh encrypted group of alice's with bob, both devices registered; its epoch is 0. */
async function encryptedGroup(ctx: Ctx): Promise<{ id: string; aliceDevice: string; bobDevice: string }> {
  const [a, b] = await Promise.all([registered(ctx, ctx.alice), registered(ctx, ctx.bob)]);
  const group = expectOk(
    await ctx.call(
      ctx.alice,
      "conversations.createGroup",
      { title: ctx.unique("e"), memberIds: [ctx.bob.id], encrypted: true },
      "ws",
    ),
  );
  check(group.encrypted === true, "an encrypted group does not say encrypted: true");
  return { id: group.id, aliceDevice: a.device.deviceId, bobDevice: b.device.deviceId };
}

function commitArgs(conversationId: string, epoch: number, welcomeTo?: string[]) {
  return {
    conversationId,
    epoch,
    commit: b64(120),
    groupInfo: b64(90),
    ...(welcomeTo === undefined ? {} : { welcome: { data: b64(150), deviceIds: welcomeTo } }),
  };
}

function success(op: OpName, title: string, run: (ctx: Ctx, t: OpTransport) => Promise<unknown>): Case[] {
  return perTransport(op, `${op}: ${title}`, { ops: [op] }, async (ctx, t) => {
    await run(ctx, t);
  });
}

function failure(op: OpName, code: string, title: string, run: (ctx: Ctx, t: OpTransport) => Promise<unknown>): Case[] {
  return perTransport(op, `${code}: ${title}`, { errors: [code as never] }, async (ctx, t) => {
    await run(ctx, t);
  });
}

const upload = (n: number) => Array.from({ length: n }, () => ({ data: b64(300), expiresAt: Date.now() + 24 * HOUR }));

export const e2eeCases: Case[] = [
  ...success("e2ee.devices.register", "the device entry; the same key again changes nothing", async (ctx, t) => {
    const first = await registered(ctx, ctx.alice);
    const again = expectOk(await ctx.call(ctx.alice, "e2ee.devices.register", { signatureKey: keys.get(ctx.alice.id) }, t));
    check(again.device.deviceId === first.device.deviceId && again.device.signatureKey === first.device.signatureKey, "changed");
  }),
  ...success("e2ee.devices.list", "a contact's devices with their keys", async (ctx, t) => {
    const bob = await registered(ctx, ctx.bob);
    const listed = expectOk(await ctx.call(ctx.alice, "e2ee.devices.list", { userId: ctx.bob.id }, t));
    check(
      listed.devices.some((d: Json) => d.deviceId === bob.device.deviceId && d.signatureKey === bob.device.signatureKey),
      "bob's device is not listed with its key",
    );
  }),
  ...success("e2ee.keyPackages.upload", "the counts after the upload", async (ctx, t) => {
    // A user of its own: cases run side by side, and others upload and claim bob's packages.
    const fresh = await ctx.register("k");
    await registered(ctx, fresh);
    const after = expectOk(
      await ctx.call(fresh, "e2ee.keyPackages.upload", { keyPackages: upload(2), lastResort: upload(1)[0] }, t),
    );
    check(after.count === 2 && after.lastResort === true, `counts ${JSON.stringify(after)}`);
  }),
  ...success("e2ee.keyPackages.count", "how many single-use packages are left", async (ctx, t) => {
    await registered(ctx, ctx.alice);
    const count = expectOk(await ctx.call(ctx.alice, "e2ee.keyPackages.count", {}, t));
    check(count.count >= 0, "a negative count");
  }),
  ...success("e2ee.keyPackages.claim", "one package per device, taken once", async (ctx, t) => {
    const bob = await registered(ctx, ctx.bob);
    const mine = upload(1)[0]!;
    expectOk(await ctx.call(ctx.bob, "e2ee.keyPackages.upload", { keyPackages: [mine], lastResort: upload(1)[0] }, "ws"));
    const claimed = expectOk(await ctx.call(ctx.alice, "e2ee.keyPackages.claim", { userIds: [ctx.bob.id] }, t));
    const forBob = claimed.keyPackages.filter((k: Json) => k.deviceId === bob.device.deviceId);
    check(forBob.length === 1, "not exactly one package for bob's device");
  }),
  ...success("e2ee.commit", "an mls.commit entry; the next epoch; the Welcome for the added device", async (ctx, t) => {
    const g = await encryptedGroup(ctx);
    const args = commitArgs(g.id, 0, [g.bobDevice]);
    const { message } = expectOk(await ctx.call(ctx.alice, "e2ee.commit", args, t));
    check(message.kind === "system" && message.event?.type === "mls.commit" && message.event.epoch === 0, "not mls.commit");
    check(message.mls?.data === args.commit && message.mls.deviceId === g.aliceDevice, "the entry does not carry the commit");
    const info = expectOk(await ctx.call(ctx.bob, "e2ee.groupInfo", { conversationId: g.id }, "ws"));
    check(info.epoch === 1 && info.groupInfo === args.groupInfo, "the GroupInfo or epoch was not kept");
    const { welcomes } = expectOk(await ctx.call(ctx.bob, "e2ee.welcomes.list", {}, "ws"));
    check(
      welcomes.some((w: Json) => w.conversationId === g.id && w.data === args.welcome?.data && w.epoch === 1),
      "bob's device has no Welcome",
    );
  }),
  ...success("e2ee.groupInfo", "null before the first commit", async (ctx, t) => {
    const g = await encryptedGroup(ctx);
    const info = expectOk(await ctx.call(ctx.bob, "e2ee.groupInfo", { conversationId: g.id }, t));
    check(info.epoch === 0 && info.groupInfo === null, `${JSON.stringify(info)}`);
  }),
  ...success("e2ee.welcomes.list", "the calling device's pending Welcomes", async (ctx, t) => {
    await registered(ctx, ctx.carol);
    const { welcomes } = expectOk(await ctx.call(ctx.carol, "e2ee.welcomes.list", {}, t));
    check(Array.isArray(welcomes), "no list");
  }),
  ...success("e2ee.welcomes.ack", "acknowledged Welcomes are gone", async (ctx, t) => {
    const g = await encryptedGroup(ctx);
    expectOk(await ctx.call(ctx.alice, "e2ee.commit", commitArgs(g.id, 0, [g.bobDevice]), "ws"));
    const { welcomes } = expectOk(await ctx.call(ctx.bob, "e2ee.welcomes.list", {}, "ws"));
    const ids = welcomes.filter((w: Json) => w.conversationId === g.id).map((w: Json) => w.id);
    const acked = expectOk(await ctx.call(ctx.bob, "e2ee.welcomes.ack", { ids }, t));
    check(acked.deleted === 1, `deleted ${acked.deleted}`);
    const after = expectOk(await ctx.call(ctx.bob, "e2ee.welcomes.list", {}, "ws"));
    check(!after.welcomes.some((w: Json) => w.conversationId === g.id), "an acknowledged Welcome is still listed");
  }),
  ...success("messages.send", "an MLS application message in an encrypted conversation: no text stored", async (ctx, t) => {
    const g = await encryptedGroup(ctx);
    const data = b64(200);
    const ack = expectOk(
      await ctx.call(
        ctx.alice,
        "messages.send",
        { conversationId: g.id, clientId: ctx.unique("m"), body: "", mls: { epoch: 0, data } },
        t,
      ),
    );
    const { messages } = expectOk(await ctx.call(ctx.bob, "messages.history", { conversationId: g.id }, "ws"));
    const stored = messages.find((m: Json) => m.seq === ack.seq);
    check(stored?.body === "" && stored.mls?.data === data && stored.mls.epoch === 0, "not stored as sent");
  }),
  ...success("messages.send", "an MLS message with an opaque encrypted upload: the members may download it", async (ctx, t) => {
    const g = await encryptedGroup(ctx);
    // What a client uploads for a file of an encrypted conversation: the magic, then ciphertext (here random).
    const blob = `PRLYE2E1${b64(60)}`;
    const file = await uploadFile(ctx, ctx.alice, blob, "encrypted.bin");
    const ack = expectOk(
      await ctx.call(
        ctx.alice,
        "messages.send",
        { conversationId: g.id, clientId: ctx.unique("m"), body: "", attachments: [file.id], mls: { epoch: 0, data: b64(200) } },
        t,
      ),
    );
    const { messages } = expectOk(await ctx.call(ctx.bob, "messages.history", { conversationId: g.id }, "ws"));
    const stored = messages.find((m: Json) => m.seq === ack.seq);
    check(stored?.body === "" && stored.attachments?.[0]?.id === file.id, "the upload is not linked to the entry");
    const { files } = expectOk(await ctx.call(ctx.bob, "files.sign", { uploadIds: [file.id] }, "ws"));
    check(files[0]?.id === file.id && files[0].thumbnailUrl === null, "bob cannot download the opaque upload");
  }),

  ...failure("e2ee.commit", "stale_epoch", "a second commit for the same epoch", async (ctx, t) => {
    const g = await encryptedGroup(ctx);
    expectOk(await ctx.call(ctx.alice, "e2ee.commit", commitArgs(g.id, 0), "ws"));
    expectError(await ctx.call(ctx.bob, "e2ee.commit", commitArgs(g.id, 0), t), "stale_epoch", { epoch: 1 });
  }),
  ...failure("messages.send", "encryption_required", "plaintext in an encrypted conversation", async (ctx, t) => {
    const g = await encryptedGroup(ctx);
    const args = { conversationId: g.id, clientId: ctx.unique("m"), body: "plaintext" };
    expectError(await ctx.call(ctx.alice, "messages.send", args, t), "encryption_required");
  }),
  ...failure("e2ee.commit", "not_encrypted", "a commit in a plain conversation", async (ctx, t) => {
    await registered(ctx, ctx.alice);
    expectError(await ctx.call(ctx.alice, "e2ee.commit", commitArgs(ctx.direct.id, 0), t), "not_encrypted");
  }),
  ...failure("e2ee.commit", "device_not_registered", "a Welcome for a device outside the conversation", async (ctx, t) => {
    const g = await encryptedGroup(ctx);
    const carol = await registered(ctx, ctx.carol);
    const answer = await ctx.call(ctx.alice, "e2ee.commit", commitArgs(g.id, 0, [carol.device.deviceId]), t);
    expectError(answer, "device_not_registered", { deviceId: carol.device.deviceId });
  }),
  ...failure("e2ee.keyPackages.upload", "too_many_key_packages", "more than 100 single-use packages", async (ctx, t) => {
    const fresh = await ctx.register("k");
    await registered(ctx, fresh);
    expectOk(await ctx.call(fresh, "e2ee.keyPackages.upload", { keyPackages: upload(100) }, "ws"));
    expectError(await ctx.call(fresh, "e2ee.keyPackages.upload", { keyPackages: upload(1) }, t), "too_many_key_packages", {
      limit: 100,
    });
  }),
];
