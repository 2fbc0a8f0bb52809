// Says when the app is offline or reconnecting, and that messages written meanwhile will be sent later.

import { useChat } from "../state/store-context.js";
import { Icon } from "../ui/Icon.js";

export function ConnectionBanner() {
  const connection = useChat((s) => s.connection);
  const online = useChat((s) => s.online);
  const listLoaded = useChat((s) => s.listLoaded);
  if (connection === "connected") return null;
  // The first connection after sign-in is not news; a lost one is.
  if (connection === "connecting" && online && !listLoaded) return null;
  const text = !online
    ? "You are offline. Messages you write will be sent when you are back online."
    : "Connecting… Messages you write will be sent once connected.";
  return (
    <div className="connection-banner" role="status" data-online={online}>
      <Icon name="offline" />
      <span>{text}</span>
    </div>
  );
}
