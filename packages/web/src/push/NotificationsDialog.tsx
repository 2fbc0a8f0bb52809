// Notification settings: turn push notifications on for this device, do not disturb, and message previews.

import type { MuteUntil } from "@parley/client";
import { formatFullTimestamp } from "../format/time.js";
import { useT } from "../i18n/I18nProvider.js";
import type { MessageKey } from "../i18n/i18n.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useNotificationStore, useNotifications } from "./notifications-context.js";
import { TabAlertSettings } from "./TabAlertSettings.js";

const HOUR = 3_600_000;

/** The do-not-disturb choices, as a select value and what it means from now. */
const DND_CHOICES: { value: string; label: MessageKey; until: (now: number) => MuteUntil }[] = [
  { value: "off", label: "retention.off", until: () => null },
  { value: "1h", label: "notifications.dnd1h", until: (now) => now + HOUR },
  { value: "8h", label: "notifications.dnd8h", until: (now) => now + 8 * HOUR },
  { value: "forever", label: "notifications.dndForever", until: () => "forever" },
];

export function NotificationsDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  const store = useNotificationStore();
  const state = useNotifications((s) => s);
  const dnd = state.settings?.dnd ?? null;
  const dndValue = dnd === null ? "off" : dnd === "forever" ? "forever" : "until";

  let status: string;
  if (!state.supported) status = t("notifications.unsupported");
  else if (!state.serverEnabled) status = t("notifications.serverOff");
  else if (state.permission === "denied") status = t("notifications.blocked");
  else if (state.subscribed) status = t("notifications.subscribed");
  else status = t("notifications.offer");

  return (
    <Dialog title={t("sidebar.notifications")} onClose={onClose}>
      <div className="dialog-form notification-settings">
        <p className="notification-status">{status}</p>
        {state.supported && state.serverEnabled && state.permission !== "denied" ? (
          state.subscribed ? (
            <button type="button" className="button" disabled={state.busy} onClick={() => void store.disable()}>
              {t("notifications.disable")}
            </button>
          ) : (
            <button type="button" className="button button-primary" disabled={state.busy} onClick={() => void store.enable()}>
              {t("notifications.enable")}
            </button>
          )
        ) : null}
        <label className="field">
          <span>{t("notifications.dnd")}</span>
          <select
            value={dndValue}
            disabled={state.busy || !state.settings}
            onChange={(e) => {
              const choice = DND_CHOICES.find((c) => c.value === e.target.value);
              if (choice) void store.setDoNotDisturb(choice.until(Date.now()));
            }}
          >
            {dndValue === "until" ? (
              <option value="until">{t("notifications.dndUntil", { time: formatFullTimestamp(dnd as number) })}</option>
            ) : null}
            {DND_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {t(c.label)}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox-field">
          <input
            type="checkbox"
            checked={state.settings?.previews ?? false}
            disabled={state.busy || !state.settings}
            onChange={(e) => void store.setPreviews(e.target.checked)}
          />
          <span>{t("notifications.previews")}</span>
        </label>
        <TabAlertSettings />
        <FormError error={state.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t("common.done")}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
