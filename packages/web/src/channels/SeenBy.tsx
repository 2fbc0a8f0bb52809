// "Seen by N" under the user's newest message in a channel: channels have no per-member ticks, only read positions,
// counted by the server (`channels.readCount`, cached there for a few seconds). Asked again when the message changes
// and while the chat is open, every half minute.

import { useEffect, useState } from "react";
import { reportBestEffort } from "../app/best-effort.js";
import { useT } from "../i18n/I18nProvider.js";
import { useStore } from "../state/store-context.js";

const REFRESH_MS = 30_000;

export function SeenBy({ conversationId, seq }: { conversationId: string; seq: number }) {
  const store = useStore();
  const t = useT();
  const [count, setCount] = useState<number | null>(null);
  useEffect(() => {
    let live = true;
    const ask = () => {
      store.client.channelReadCount(conversationId, seq).then(
        (n) => {
          if (live) setCount(n);
        },
        (error: unknown) => reportBestEffort("the channel's read count", error),
      );
    };
    ask();
    const timer = setInterval(ask, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [store, conversationId, seq]);
  if (count === null) return null;
  return <div className="receipt-text seen-by">{t("channel.seenBy", { count })}</div>;
}
