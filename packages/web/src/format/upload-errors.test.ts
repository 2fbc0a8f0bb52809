import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ParleyError } from "@parley/client";
import { tooLargeText, uploadErrorText } from "./upload-errors.js";

describe("upload error texts", () => {
  it("names the limit of a file that is too large", () => {
    assert.equal(tooLargeText(26_214_400), "Too large: the limit is 25 MB");
    const refused = new ParleyError("upload_too_large", "The upload exceeds 1000000 bytes", { details: { limit: 1_000_000 } });
    assert.equal(uploadErrorText(refused), "Too large: the limit is 977 KB");
  });

  it("says what went wrong in plain words, without MIME types or server wording", () => {
    const mismatch = new ParleyError(
      "content_type_mismatch",
      "The upload was declared as image/png but its bytes are text/plain",
    );
    assert.doesNotMatch(uploadErrorText(mismatch), /image\/|text\/|declared/);
    assert.match(uploadErrorText(new ParleyError("unsupported_media_type", "Files of type application/x-elf")), /cannot be sent/);
    assert.equal(uploadErrorText(new TypeError("Failed to fetch")), "Upload failed: check your connection and try again");
  });
});
