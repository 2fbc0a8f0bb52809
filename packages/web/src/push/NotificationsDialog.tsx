// Notification settings: turn push notifications on for this device, do not disturb, and message previews.

import type { MuteUntil } from "@parley/client";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useNotificationStore, useNotifications } from "./notifications-context.js";
import { TabAlertSettings } from "./TabAlertSettings.js";

const HOUR = 3_600_000;

/** The do-not-disturb choices, as a select value and what it means from now. */
const DND_CHOICES: { value: string; label: string; until: (now: number) => MuteUntil }[] = [
  { value: "off", label: "Off", until: () => null },
  { value: "1h", label: "For 1 hour", until: (now) => now + HOUR },
  { value: "8h", label: "For 8 hours", until: (now) => now + 8 * HOUR },
  { value: "forever", label: "Until I turn it off", until: () => "forever" },
];

export function NotificationsDialog({ onClose }: { onClose: () => void }) {
  const store = useNotificationStore();
  const state = useNotifications((s) => s);
  const dnd = state.settings?.dnd ?? null;
  const dndValue = dnd === null ? "off" : dnd === "forever" ? "forever" : "until";

  let status: string;
  if (!state.supported) status = "This browser cannot show push notifications.";
  else if (!state.serverEnabled) status = "This server does not send push notifications.";
  else if (state.permission === "denied") status = "Notifications are blocked for this site in the browser's settings.";
  else if (state.subscribed) status = "This device gets a notification when you are away and a message arrives.";
  else status = "Get a notification on this device when you are away and a message arrives.";

  return (
    <Dialog title="Notifications" onClose={onClose}>
      <div className="dialog-form notification-settings">
        <p className="notification-status">{status}</p>
        {state.supported && state.serverEnabled && state.permission !== "denied" ? (
          state.subscribed ? (
            <button type="button" className="button" disabled={state.busy} onClick={() => void store.disable()}>
              Turn off on this device
            </button>
          ) : (
            <button type="button" className="button button-primary" disabled={state.busy} onClick={() => void store.enable()}>
              Enable notifications
            </button>
          )
        ) : null}
        <label className="field">
          <span>Do not disturb</span>
          <select
            value={dndValue}
            disabled={state.busy || !state.settings}
            onChange={(e) => {
              const choice = DND_CHOICES.find((c) => c.value === e.target.value);
              if (choice) void store.setDoNotDisturb(choice.until(Date.now()));
            }}
          >
            {dndValue === "until" ? <option value="until">Until {new Date(dnd as number).toLocaleString()}</option> : null}
            {DND_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
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
          <span>Show message text in notifications</span>
        </label>
        <TabAlertSettings />
        <FormError error={state.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Done
          </button>
        </div>
      </div>
    </Dialog>
  );
}
