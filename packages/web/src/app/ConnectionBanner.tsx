// Says when the app is offline or reconnecting, and that messages written meanwhile will be sent later.

import { useT } from "../i18n/I18nProvider.js";
import { useChat } from "../state/store-context.js";
import { Icon } from "../ui/Icon.js";

export function ConnectionBanner() {
  const t = useT();
  const connection = useChat((s) => s.connection);
  const online = useChat((s) => s.online);
  const listLoaded = useChat((s) => s.listLoaded);
  if (connection === "connected") return null;
  // The first connection after sign-in is not news; a lost one is.
  if (connection === "connecting" && online && !listLoaded) return null;
  const text = !online ? t("connection.offline") : t("connection.connecting");
  return (
    <div className="connection-banner" role="status" data-online={online}>
      <Icon name="offline" />
      <span>{text}</span>
    </div>
  );
}
