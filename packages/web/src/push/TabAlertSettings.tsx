// The notification settings about this browser tab and about mentions: alerts while the tab is in the background
// (a notification, a sound), and whether mentions notify in muted conversations (an account setting, all devices).

import { useT } from "../i18n/I18nProvider.js";
import { useNotificationStore, useNotifications } from "./notifications-context.js";

export function TabAlertSettings() {
  const t = useT();
  const store = useNotificationStore();
  const state = useNotifications((s) => s);
  const blocked = state.permission === "denied";
  // Checked only when a notification can show: unchecked until the browser's permission is given, which a click asks.
  const notifying = state.tabAlerts.notify && state.permission === "granted";
  return (
    <>
      <label className="checkbox-field">
        <input
          type="checkbox"
          checked={state.settings?.mentionsInMuted ?? false}
          disabled={state.busy || !state.settings}
          onChange={(e) => void store.setMentionsInMuted(e.target.checked)}
        />
        <span>{t("notifications.mentionsInMuted")}</span>
      </label>
      <fieldset className="tab-alerts">
        <legend>{t("notifications.tabLegend")}</legend>
        <label className="checkbox-field">
          <input
            type="checkbox"
            checked={notifying}
            disabled={blocked}
            onChange={(e) => void store.setTabAlerts({ notify: e.target.checked })}
          />
          <span>{blocked ? t("notifications.tabNotifyBlocked") : t("notifications.tabNotify")}</span>
        </label>
        <label className="checkbox-field">
          <input
            type="checkbox"
            checked={state.tabAlerts.sound}
            onChange={(e) => void store.setTabAlerts({ sound: e.target.checked })}
          />
          <span>{t("notifications.tabSound")}</span>
        </label>
        <p className="muted tab-alerts-note">{t("notifications.tabNote")}</p>
      </fieldset>
    </>
  );
}
