// The notification settings about this browser tab and about mentions: alerts while the tab is in the background
// (a notification, a sound), and whether mentions notify in muted conversations (an account setting, all devices).

import { useNotificationStore, useNotifications } from "./notifications-context.js";

export function TabAlertSettings() {
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
        <span>Notify me of mentions even in muted conversations</span>
      </label>
      <fieldset className="tab-alerts">
        <legend>While Parley is open in a background tab</legend>
        <label className="checkbox-field">
          <input
            type="checkbox"
            checked={notifying}
            disabled={blocked}
            onChange={(e) => void store.setTabAlerts({ notify: e.target.checked })}
          />
          <span>Show a notification for new messages{blocked ? " (blocked in the browser's settings)" : ""}</span>
        </label>
        <label className="checkbox-field">
          <input
            type="checkbox"
            checked={state.tabAlerts.sound}
            onChange={(e) => void store.setTabAlerts({ sound: e.target.checked })}
          />
          <span>Play a sound for new messages</span>
        </label>
        <p className="muted tab-alerts-note">Muted conversations and do not disturb stay quiet here too.</p>
      </fieldset>
    </>
  );
}
