// Administration: the server's maximum message age (protocol §6.14): older messages are deleted with their files.

import { useEffect, useState } from "react";
import { formatDuration } from "../format/durations.js";
import { useT } from "../i18n/I18nProvider.js";
import { useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";

const DAY = 86_400;
/** The maximum ages offered; null keeps messages forever. */
const CHOICES: (number | null)[] = [null, 30 * DAY, 90 * DAY, 365 * DAY, 2 * 365 * DAY, 7 * 365 * DAY];

const toValue = (seconds: number | null) => (seconds === null ? "" : String(seconds));

export function RetentionTab() {
  const store = useStore();
  const t = useT();
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
  const choices = maxAge === undefined || maxAge === null || CHOICES.includes(maxAge) ? CHOICES : [...CHOICES, maxAge];
  return (
    <div className="admin-tab retention-settings">
      <label className="field">
        <span>{t("adminRetention.field")}</span>
        <select
          name="maxMessageAge"
          value={maxAge === undefined ? "" : toValue(maxAge)}
          disabled={maxAge === undefined || action.busy}
          onChange={(e) => choose(e.target.value)}
        >
          {choices.map((seconds) => (
            <option key={toValue(seconds)} value={toValue(seconds)}>
              {seconds === null ? t("adminRetention.forever") : formatDuration(seconds)}
            </option>
          ))}
        </select>
      </label>
      <p className="muted retention-summary">{t("adminRetention.note")}</p>
      <FormError error={action.error} />
    </div>
  );
}
