import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Attachment } from "@parley/client";
import { attachmentSummary, fitBox, formatBytes } from "./files.js";

const file = (over: Partial<Attachment>): Attachment => ({
  id: "u",
  name: "a.pdf",
  size: 10,
  mimeType: "application/pdf",
  width: null,
  height: null,
  hasThumbnail: false,
  ...over,
});

describe("file formatting", () => {
  it("formats sizes", () => {
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(1536), "1.5 KB");
    assert.equal(formatBytes(25 * 1024 * 1024), "25 MB");
  });

  it("summarizes attachments for previews", () => {
    const photo = file({ mimeType: "image/png", width: 10, height: 10, hasThumbnail: true });
    assert.equal(attachmentSummary([]), "");
    assert.equal(attachmentSummary([photo]), "📷 Photo");
    assert.equal(attachmentSummary([photo, photo]), "📷 2 photos");
    assert.equal(attachmentSummary([file({ name: "plan.pdf" })]), "📎 plan.pdf");
    assert.equal(attachmentSummary([photo, file({})]), "📎 2 files");
  });

  it("fits images into a box keeping the aspect ratio, never enlarging", () => {
    assert.deepEqual(fitBox(1000, 500, 280), { width: 280, height: 140 });
    assert.deepEqual(fitBox(300, 1200, 280), { width: 70, height: 280 });
    assert.deepEqual(fitBox(40, 30, 280), { width: 40, height: 30 });
  });
});
