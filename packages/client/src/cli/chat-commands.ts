// The slash commands of the chat screen that act on messages, parsed from one input line.

export type ChatCommand =
  | { type: "reply"; seq: number; text: string }
  | { type: "edit"; seq: number; text: string }
  | { type: "delete"; seq: number; forMe: boolean }
  | { type: "react"; seq: number; emoji: string; remove: boolean }
  | { type: "pin"; seq: number; remove: boolean }
  | { type: "pins" }
  | { type: "disappear"; seconds: DisappearTimer }
  | { type: "help" };

/** The disappearing-messages timers of the protocol (§6.14) in seconds; null is off. */
export type DisappearTimer = 3600 | 86_400 | 604_800 | 2_592_000 | null;

const TIMERS: Record<string, DisappearTimer> = { off: null, "1h": 3600, "1d": 86_400, "7d": 604_800, "30d": 2_592_000 };

export const CHAT_HELP = [
  "/reply <#> <text>   answer message #",
  "/edit <#> <text>    change your message #",
  "/delete <#> [--me]  delete message # for everyone (or only for you with --me)",
  "/react <#> <emoji>  react to message # (/unreact <#> <emoji> takes it back)",
  "/pin <#>            pin message # for everyone (/unpin <#> removes the pin)",
  "/pins               list the pinned messages",
  "/disappear <timer>  messages disappear after 1h, 1d, 7d or 30d (off: never)",
  "/file <path>        send a file (image, PDF…)",
  "/search <words>     search this conversation",
  "/quit               leave",
].join("\n");

const WITH_TEXT = /^\/(reply|edit)\s+#?(\d+)\s+(\S[\s\S]*)$/;
const DELETE = /^\/delete\s+#?(\d+)(\s+--me)?$/;
const REACT = /^\/(react|unreact)\s+#?(\d+)\s+(\S+)$/;
const DISAPPEAR = /^\/disappear\s+(\S+)$/;
const PIN = /^\/(pin|unpin)\s+#?(\d+)$/;

/** The command on the line; `help` for any other slash line (a typo shows the list). */
export function parseChatCommand(line: string): ChatCommand {
  const text = line.trim();
  const withText = WITH_TEXT.exec(text);
  if (withText) return { type: withText[1] as "reply" | "edit", seq: Number(withText[2]), text: withText[3]! };
  const del = DELETE.exec(text);
  if (del) return { type: "delete", seq: Number(del[1]), forMe: del[2] !== undefined };
  const react = REACT.exec(text);
  if (react) return { type: "react", seq: Number(react[2]), emoji: react[3]!, remove: react[1] === "unreact" };
  const pin = PIN.exec(text);
  if (pin) return { type: "pin", seq: Number(pin[2]), remove: pin[1] === "unpin" };
  if (text === "/pins") return { type: "pins" };
  const disappear = DISAPPEAR.exec(text);
  if (disappear && Object.hasOwn(TIMERS, disappear[1]!)) return { type: "disappear", seconds: TIMERS[disappear[1]!]! };
  return { type: "help" };
}
