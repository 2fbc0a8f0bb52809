// How long a conversation's messages live: the members' disappearing-messages timer (any member) and the
// conversation's retention (group owners and admins, either person of a direct chat), in the info dialog.

import { isParleyError } from "@parley/client";
import { DISAPPEAR_CHOICES, formatDuration, RETENTION_CHOICES } from "../format/durations.js";
import { useT } from "../i18n/I18nProvider.js";
import { t } from "../i18n/i18n.js";
import { roleOf } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";

type Timer = 3600 | 86_400 | 604_800 | 2_592_000 | null;

const toValue = (seconds: number | null | undefined) => (seconds == null ? "" : String(seconds));
const fromValue = (value: string) => (value === "" ? null : Number(value));
const explain = (error: unknown) => (isParleyError(error, "retention_too_long") ? t("retention.tooLong") : undefined);

export function RetentionSettings({ conversation: c }: { conversation: ConversationState }) {
  const store = useStore();
  const t = useT();
  const me = useChat((s) => s.me?.id);
  const { busy, error, run } = useAction(explain);
  const member = c.membership === "member";
  const role = roleOf(c, me);
  const mayRetain = member && (c.kind === "direct" || role === "owner" || role === "admin");
  // A retention set elsewhere (by the API) that the list does not offer still shows as itself.
  const retentionChoices =
    c.retention === undefined || RETENTION_CHOICES.includes(c.retention)
      ? RETENTION_CHOICES
      : [...RETENTION_CHOICES, c.retention];

  return (
    <section className="retention-settings" aria-label={t("retention.title")}>
      <h3 className="section-title">{t("retention.title")}</h3>
      <div className="inline-form">
        <label className="field">
          <span>{t("retention.disappearing")}</span>
          <select
            name="disappearing"
            value={toValue(c.disappearAfter)}
            disabled={!member || busy}
            onChange={(e) => void run(() => store.setDisappearing(c.id, fromValue(e.target.value) as Timer))}
          >
            {DISAPPEAR_CHOICES.map((seconds) => (
              <option key={toValue(seconds)} value={toValue(seconds)}>
                {seconds === null ? t("retention.off") : formatDuration(seconds)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("retention.keepFor")}</span>
          <select
            name="retention"
            value={toValue(c.retention)}
            disabled={!mayRetain || busy}
            onChange={(e) => void run(() => store.setRetention(c.id, fromValue(e.target.value)))}
          >
            {retentionChoices.map((seconds) => (
              <option key={toValue(seconds)} value={toValue(seconds)}>
                {seconds === null ? t("retention.serverDefault") : formatDuration(seconds)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted retention-summary">
        {c.maxAge === undefined
          ? t("retention.keptForever")
          : t("retention.deletedAfter", { duration: formatDuration(c.maxAge) })}
      </p>
      <FormError error={error} />
    </section>
  );
}
