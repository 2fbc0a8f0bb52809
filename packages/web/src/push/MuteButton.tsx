// The chat header's mute toggle: a muted conversation sends this user no push notifications.

import { useT } from "../i18n/I18nProvider.js";
import { Icon } from "../ui/Icon.js";
import { useNotificationStore, useNotifications } from "./notifications-context.js";

export function MuteButton({ conversationId }: { conversationId: string }) {
  const t = useT();
  const store = useNotificationStore();
  // Re-render when the settings change; the store answers whether this conversation is muted now.
  useNotifications((s) => s.settings);
  const busy = useNotifications((s) => s.busy);
  const muted = store.isMuted(conversationId);
  const label = muted ? t("notifications.unmute") : t("notifications.mute");
  return (
    <button
      type="button"
      className={muted ? "icon-button muted" : "icon-button"}
      aria-label={label}
      aria-pressed={muted}
      title={label}
      disabled={busy}
      onClick={() => void store.setMuted(conversationId, !muted)}
    >
      <Icon name={muted ? "bellOff" : "bell"} />
    </button>
  );
}
