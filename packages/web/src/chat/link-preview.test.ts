import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LinkPreview } from "@parley/client";
import { firstLink, LinkPreviews } from "./link-preview.js";

describe("link previews in the web app", () => {
  it("finds the first link a reader sees, also in formatting, never in code", () => {
    assert.equal(firstLink("see https://a.org/x and https://b.org"), "https://a.org/x");
    assert.equal(firstLink("`https://code.org` then **https://bold.org**."), "https://bold.org");
    assert.equal(firstLink("```\nhttps://block.org\n```\n> - https://deep.org"), "https://deep.org");
    assert.equal(firstLink("[x](javascript:alert(1)) no links"), undefined);
  });

  it("asks once per URL, remembers failures as no card, and stops after link_previews_disabled", async () => {
    const asked: string[] = [];
    const previews = new LinkPreviews({
      async linkPreview(url: string): Promise<LinkPreview> {
        asked.push(url);
        if (url.endsWith("/gone")) throw Object.assign(new Error("no"), { code: "link_preview_unavailable" });
        if (url.endsWith("/off")) throw Object.assign(new Error("off"), { code: "link_previews_disabled" });
        if (url.endsWith("/empty")) return { url, title: null, description: null, image: null, siteName: "S" };
        return { url, title: "T", description: null, image: null, siteName: null };
      },
    });
    assert.equal((await previews.get("https://a.org/"))?.title, "T");
    assert.equal((await previews.get("https://a.org/"))?.title, "T");
    assert.equal(await previews.get("https://a.org/gone"), null);
    assert.equal(await previews.get("https://a.org/gone"), null);
    assert.equal(await previews.get("https://a.org/empty"), null, "nothing worth a card");
    assert.equal(await previews.get("https://a.org/off"), null);
    assert.equal(await previews.get("https://b.org/"), null, "previews are off on this server: not asked");
    assert.deepEqual(asked, ["https://a.org/", "https://a.org/gone", "https://a.org/empty", "https://a.org/off"]);
  });
});
