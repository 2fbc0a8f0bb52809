import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCli, UsageError } from "./args.js";

describe("CLI arguments", () => {
  it("separates the command from global options wherever they appear", () => {
    const a = parseCli(["group", "create", "Team X", "bob", "carol", "--server", "http://h:1", "--password=pw"]);
    assert.deepEqual(a.positionals, ["group", "create", "Team X", "bob", "carol"]);
    assert.equal(a.server, "http://h:1");
    assert.equal(a.password, "pw");
    assert.equal(a.help, false);
    assert.equal(parseCli(["register", "ann", "--display-name", "Ann B"]).displayName, "Ann B");
    assert.equal(parseCli(["-h"]).help, true);
  });

  it("rejects unknown options as usage errors", () => {
    assert.throws(() => parseCli(["whoami", "--nope"]), UsageError);
  });
});
