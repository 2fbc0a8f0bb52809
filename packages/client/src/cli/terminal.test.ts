// The terminal's output gate on a real-looking TTY: prompts, printed lines and in-place updates are all neutralised.

import assert from "node:assert/strict";
import { PassThrough, Writable } from "node:stream";
import { describe, it } from "node:test";
import { Terminal } from "./terminal.js";

function fakeTty() {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  let written = "";
  const output = Object.assign(
    new Writable({
      write(chunk, _encoding, callback) {
        written += String(chunk);
        callback();
      },
    }),
    { isTTY: true, columns: 80, rows: 24 },
  );
  return { input, output, written: () => written };
}

describe("security review #6: the interactive terminal writes no foreign escape sequence", () => {
  it("neutralises server text in printed lines, in-place updates and the typing prompt, keeping its own styling", () => {
    const tty = fakeTty();
    const term = new Terminal(tty.input, tty.output, {});
    assert.equal(term.interactive, true);
    const evil = "eve\x1b]0;PWNED\x07\x1b]52;c;cm0gLXJmIH4K\x07\x1bP+q\x1b\\\x9b2J";
    term.startPrompt(`${term.style.dim(`${evil} is typing…`)} > `);
    const line = term.print(`${term.style.bold(evil)}: hi`);
    term.update(line, `${term.style.bold(evil)}: hi (edited)`);
    term.setPrompt("> ");
    term.close();
    const out = tty.written();
    // The terminal's own sequences (cursor moves, erasing, SGR) are CSI; none of these is ever written by it.
    for (const foreign of ["\x1b]", "\x07", "\x1bP", "\x9b"]) assert.ok(!out.includes(foreign), JSON.stringify(out));
    const shown = "eve␛]0;PWNED␇␛]52;c;cm0gLXJmIH4K␇␛P+q␛\\\ufffd2J";
    assert.ok(out.includes(`\x1b[1m${shown}\x1b[22m: hi`), JSON.stringify(out));
    assert.ok(out.includes(`\x1b[1m${shown}\x1b[22m: hi (edited)`), JSON.stringify(out));
    assert.ok(out.includes(`\x1b[2m${shown} is typing…\x1b[22m > `), JSON.stringify(out));
  });
});
