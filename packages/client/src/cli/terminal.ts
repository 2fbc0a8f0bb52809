// Terminal I/O for the CLI: one line reader over stdin, silent password entry, and output that neither clobbers what
// the user is typing nor loses track of recent lines (so their receipt ticks can be updated in place). Everything it
// writes goes through terminalText, so no text from elsewhere can drive the terminal.

import { clearLine, clearScreenDown, createInterface, cursorTo, type Interface, moveCursor } from "node:readline";
import { Writable } from "node:stream";
import { ansi, plain, type Style, visibleWidth } from "./format.js";
import { terminalText } from "./terminal-text.js";

export interface LineHandle {
  readonly id: number;
}

interface Printed {
  id: number;
  rows: number;
}

type Input = NodeJS.ReadableStream & { isTTY?: boolean };
type Output = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };

/** How many printed lines are remembered for in-place updates. */
const REMEMBERED = 200;

export class Terminal {
  /** Both ends are a terminal: prompts, silent input, cursor movement and colours are available. */
  readonly interactive: boolean;
  readonly style: Style;
  readonly #input: Input;
  readonly #output: Output;
  readonly #rl: Interface;
  readonly #queue: string[] = [];
  readonly #waiters: ((line: string | undefined) => void)[] = [];
  readonly #printed: Printed[] = [];
  #ended = false;
  #muted = false;
  #promptActive = false;
  #nextId = 1;
  /** The user just pressed Enter: the cursor is at the start of an empty line, no prompt drawn. */
  #submitted = false;

  constructor(input: Input = process.stdin, output: Output = process.stdout, env: NodeJS.ProcessEnv = process.env) {
    this.#input = input;
    this.#output = output;
    this.interactive = Boolean(input.isTTY && output.isTTY);
    this.style = this.interactive && !env.NO_COLOR ? ansi : plain;
    // readline echoes through this stream, which lets password entry mute the echo.
    const echo = new Writable({
      write: (chunk, encoding, callback) => {
        if (!this.#muted) output.write(chunk, encoding);
        callback();
      },
    });
    Object.defineProperty(echo, "columns", { get: () => output.columns });
    this.#rl = createInterface({ input, output: echo, terminal: this.interactive });
    this.#rl.on("line", (line) => {
      this.#submitted = true;
      this.#push(line);
    });
    this.#rl.on("close", () => this.#end());
    // Ctrl+C ends input like Ctrl+D; the command decides what that means.
    this.#rl.on("SIGINT", () => this.#end());
  }

  /** The next line of input, or undefined at the end of input. */
  nextLine(): Promise<string | undefined> {
    const line = this.#queue.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Asks a question; with `silent`, typed characters are not shown (on a terminal). */
  async question(prompt: string, options: { silent?: boolean } = {}): Promise<string | undefined> {
    if (this.interactive) this.#output.write(terminalText(prompt));
    this.#muted = Boolean(options.silent && this.interactive);
    try {
      return await this.nextLine();
    } finally {
      if (this.#muted) this.#output.write("\n");
      this.#muted = false;
    }
  }

  /** Shows a prompt that stays below everything printed afterwards (chat mode). */
  startPrompt(prompt: string): void {
    if (!this.interactive) return;
    this.#promptActive = true;
    this.#rl.setPrompt(terminalText(prompt));
    this.#prompt();
  }

  setPrompt(prompt: string): void {
    if (!this.interactive) return;
    this.#rl.setPrompt(terminalText(prompt));
    if (this.#promptActive) this.#redrawPrompt();
  }

  /** Called with the current input after every keystroke (terminal only). */
  onEdit(listener: (line: string) => void): void {
    if (!this.interactive) return;
    this.#input.on("keypress", () => queueMicrotask(() => listener(this.#rl.line)));
  }

  /**
   * Prints one entry above the prompt (lines after its first are indented); the handle allows an in-place update
   * later.
   */
  print(entry: string): LineHandle {
    const id = this.#nextId++;
    const text = terminalText(entry);
    if (!this.interactive) {
      this.#output.write(`${text}\n`);
      return { id };
    }
    const out = this.#output;
    if (this.#promptActive) {
      moveCursor(out, 0, -this.#rl.getCursorPos().rows);
      cursorTo(out, 0);
      clearScreenDown(out);
    }
    out.write(`${text}\n`);
    this.#printed.push({ id, rows: this.#rowsOf(text) });
    if (this.#printed.length > REMEMBERED) this.#printed.shift();
    if (this.#promptActive) this.#prompt();
    return { id };
  }

  /**
   * Rewrites a printed line in place when it is still on screen and keeps its height; false when it cannot (not a
   * terminal, scrolled away, wrapped differently) and the caller should print an update line instead.
   */
  update(handle: LineHandle, entry: string): boolean {
    if (!this.interactive) return false;
    const text = terminalText(entry);
    const index = this.#printed.findIndex((p) => p.id === handle.id);
    if (index < 0) return false;
    const target = this.#printed[index]!;
    if (this.#rowsOf(text) !== target.rows) return false;
    let up = 0;
    for (let i = index; i < this.#printed.length; i++) up += this.#printed[i]!.rows;
    if (up > (this.#output.rows || 24) - 2) return false;
    const out = this.#output;
    const cursor = this.#promptActive ? this.#rl.getCursorPos() : { rows: 0, cols: 0 };
    moveCursor(out, 0, -(cursor.rows + up));
    cursorTo(out, 0);
    clearLine(out, 0);
    // Each row of the entry is cleared to its end: the old text may have been longer.
    out.write(`${text.split("\n").join("\x1b[K\n")}\x1b[K`);
    moveCursor(out, 0, up - (target.rows - 1) + cursor.rows);
    cursorTo(out, cursor.cols);
    return true;
  }

  /** Removes the echo of a line the user just submitted, so it can be printed formatted instead (terminal only). */
  eraseSubmitted(line: string, prompt: string): void {
    if (!this.interactive) return;
    moveCursor(this.#output, 0, -this.#rowsOf(terminalText(prompt) + line));
    cursorTo(this.#output, 0);
    clearScreenDown(this.#output);
  }

  close(): void {
    // Leave the shell prompt on a fresh line, below whatever was typed (Enter already moved there).
    if (this.#promptActive && !this.#submitted) this.#output.write("\n");
    this.#promptActive = false;
    this.#rl.close();
  }

  #redrawPrompt(): void {
    moveCursor(this.#output, 0, -this.#rl.getCursorPos().rows);
    cursorTo(this.#output, 0);
    clearScreenDown(this.#output);
    this.#prompt();
  }

  #prompt(): void {
    this.#submitted = false;
    this.#rl.prompt(true);
  }

  /** Screen rows taken by text as written (after terminalText). */
  #rowsOf(text: string): number {
    const columns = this.#output.columns || 80;
    let rows = 0;
    for (const line of text.split("\n")) rows += Math.max(1, Math.ceil(visibleWidth(line) / columns));
    return rows;
  }

  #push(line: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(line);
    else this.#queue.push(line);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }
}
