// The behavioural contract every LinkPreviewStore adapter must pass, run from each adapter's test (SQLite and PostgreSQL).

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { LinkPreviewRecord, LinkPreviewStore } from "./link-preview-store.js";

export function runLinkPreviewStoreContract<F extends { previews: LinkPreviewStore }>(
  name: string,
  open: () => Promise<F>,
  cleanup: (f: F) => Promise<void>,
): void {
  describe(`LinkPreviewStore contract: ${name}`, () => {
    let f: F;
    const run = randomUUID().slice(0, 8);
    const NOW = 1_700_000_000_000;

    before(async () => {
      f = await open();
    });
    after(async () => {
      await cleanup(f);
    });

    it("stores an answer with its image and replaces it, image included", async () => {
      const url = `https://example.org/${run}/a`;
      assert.equal(await f.previews.getLinkPreview(url), undefined);
      const record: LinkPreviewRecord = {
        url,
        preview: { title: "Title ✓", description: "About", siteName: null, imageId: `img${run}1` },
        failure: null,
        fetchedAt: NOW,
        expiresAt: NOW + 1000,
      };
      const bytes = Buffer.from([1, 2, 3, 0, 255]);
      await f.previews.putLinkPreview(record, { id: `img${run}1`, mimeType: "image/webp", bytes }, NOW);
      assert.deepEqual(await f.previews.getLinkPreview(url), record);
      assert.deepEqual(await f.previews.getLinkPreviewImage(`img${run}1`), { id: `img${run}1`, mimeType: "image/webp", bytes });

      const failed: LinkPreviewRecord = { url, preview: null, failure: "timeout", fetchedAt: NOW + 5, expiresAt: NOW + 600 };
      await f.previews.putLinkPreview(failed, undefined, NOW + 5);
      assert.deepEqual(await f.previews.getLinkPreview(url), failed);
      assert.equal(await f.previews.getLinkPreviewImage(`img${run}1`), undefined, "the old image went with the old answer");
    });

    it("deletes answers that expired before now, with their images", async () => {
      const old: LinkPreviewRecord = {
        url: `https://example.org/${run}/old`,
        preview: { title: null, description: null, siteName: "Site", imageId: `img${run}2` },
        failure: null,
        fetchedAt: NOW,
        expiresAt: NOW + 10,
      };
      await f.previews.putLinkPreview(old, { id: `img${run}2`, mimeType: "image/webp", bytes: Buffer.from([9]) }, NOW);
      const fresh: LinkPreviewRecord = { ...old, url: `https://example.org/${run}/new`, preview: null, failure: "status" };
      await f.previews.putLinkPreview({ ...fresh, expiresAt: NOW + 100 }, undefined, NOW + 50);
      assert.equal(await f.previews.getLinkPreview(old.url), undefined);
      assert.equal(await f.previews.getLinkPreviewImage(`img${run}2`), undefined);
      assert.equal((await f.previews.getLinkPreview(fresh.url))?.failure, "status");
    });
  });
}
