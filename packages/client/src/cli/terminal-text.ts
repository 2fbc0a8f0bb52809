// The one gate between text and the terminal: everything the CLI writes passes through `terminalText`, which keeps
// the CLI's own styling and makes everything else inert (server text can hold escape sequences, controls, newlines).

/**
 * Styling is marked with a secret drawn per process, and only marks carrying it become escape sequences: text from
 * the server cannot pass as styling because it cannot know the secret.
 */
const SECRET = globalThis.crypto.randomUUID().replace(/-/g, "");

/** The mark for SGR parameter `code` (bold, dim, colour…); written as `ESC [ code m` by `terminalText`. */
export function sgr(code: number): string {
  return `\x1b${SECRET}:${code}m`;
}

/** Lines after the first of one printed entry start with this, so a message cannot forge a line of its own. */
const CONTINUATION = "    ";

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
const TOKENS = new RegExp(`\\x1b${SECRET}:(\\d{1,3})m|\\r?\\n|${UNSAFE.source}`, "g");

/**
 * Text as it may reach the terminal: the CLI's style marks become SGR sequences; a newline starts an indented
 * continuation line; a tab becomes a space; every other C0 control (ESC, so every CSI/OSC/DCS sequence, BEL, CR,
 * backspace…) is shown as its control picture (␛, ␇, ␍, ␈…); DEL as ␡; C1 controls (8-bit CSI and OSC included),
 * line and paragraph separators and bidirectional marks, embeddings, overrides and isolates as U+FFFD.
 */
export function terminalText(text: string): string {
  return text.replace(TOKENS, (token: string, code: string | undefined) => {
    if (code !== undefined) return `\x1b[${code}m`;
    if (token.endsWith("\n")) return `\n${CONTINUATION}`;
    const c = token.charCodeAt(0);
    if (c === 0x09) return " ";
    if (c < 0x20) return String.fromCharCode(0x2400 + c);
    if (c === 0x7f) return "\u2421";
    return "\ufffd";
  });
}
