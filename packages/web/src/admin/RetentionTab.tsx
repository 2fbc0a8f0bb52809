// Administration: the server's maximum message age (protocol §6.14): older messages are deleted with their files.

import { useEffect, useState } from "react";
import { formatDuration } from "../format/durations.js";
import { useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";

const DAY = 86_400;
const CHOICES: { seconds: number | null; label: string }[] = [
  { seconds: null, label: "Keep messages forever" },
  { seconds: 30 * DAY, label: "30 days" },
  { seconds: 90 * DAY, label: "90 days" },
  { seconds: 365 * DAY, label: "1 year" },
  { seconds: 2 * 365 * DAY, label: "2 years" },
  { seconds: 7 * 365 * DAY, label: "7 years" },
];

const toValue = (seconds: number | null) => (seconds === null ? "" : String(seconds));

export function RetentionTab() {
  const store = useStore();
  // undefined: not loaded yet.
  const [maxAge, setMaxAge] = useState<number | null | undefined>(undefined);
  const action = useAction();
  const { run } = action;
  useEffect(() => {
    void run(async () => setMaxAge((await store.client.admin.settings()).maxMessageAge));
  }, [run, store]);
  const choose = (value: string) =>
    void action.run(async () => {
      const maxMessageAge = value === "" ? null : Number(value);
      setMaxAge((await store.client.admin.updateSettings({ maxMessageAge })).maxMessageAge);
    });
  // A maximum set elsewhere (environment, API) that the list does not offer still shows as itself.
  const choices =
    maxAge === undefined || maxAge === null || CHOICES.some((c) => c.seconds === maxAge)
      ? CHOICES
      : [...CHOICES, { seconds: maxAge, label: formatDuration(maxAge) }];
  return (
    <div className="admin-tab retention-settings">
      <label className="field">
        <span>Delete messages older than</span>
        <select
          name="maxMessageAge"
          value={maxAge === undefined ? "" : toValue(maxAge)}
          disabled={maxAge === undefined || action.busy}
          onChange={(e) => choose(e.target.value)}
        >
          {choices.map((c) => (
            <option key={toValue(c.seconds)} value={toValue(c.seconds)}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <p className="muted retention-summary">
        Applies to every conversation, with their files and search entries; a conversation may set a shorter period or a
        disappearing-messages timer. Deleted messages cannot be brought back.
      </p>
      <FormError error={action.error} />
    </div>
  );
}
