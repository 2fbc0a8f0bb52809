// The state mark of one's own message: a clock while pending, ✓ sent, ✓✓ delivered, colored ✓✓ read, ! not sent.

import { Icon } from "../ui/Icon.js";
import type { TickState } from "./ticks.js";

export function Ticks({ state, label }: { state: TickState; label: string }) {
  const icon = state === "pending" ? "clock" : state === "failed" ? "alert" : state === "sent" ? "check" : "checks";
  return (
    <span className={`ticks ticks-${state}`} data-state={state} role="img" aria-label={label} title={label}>
      <Icon name={icon} />
    </span>
  );
}
