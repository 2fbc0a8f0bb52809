// "Seen by N" under the user's newest message in a channel: channels have no per-member ticks, only read positions,
// counted by the server (`channels.readCount`, cached there for a few seconds). Asked again when the message changes
// and while the chat is open, every half minute.

import { useEffect, useState } from "react";
import { reportBestEffort } from "../app/best-effort.js";
import { useT } from "../i18n/I18nProvider.js";
import { useStore } from "../state/store-context.js";

const REFRESH_MS = 30_000;

/**
 * `ownReadSeq`: the user's own read position. The server counts every member who read up to `seq`, the author too once
 * their own position passed it; "seen by" means the others.
 */
export function SeenBy({ conversationId, seq, ownReadSeq }: { conversationId: string; seq: number; ownReadSeq: number }) {
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
  const others = Math.max(0, count - (ownReadSeq >= seq ? 1 : 0));
  return <div className="receipt-text seen-by">{t("channel.seenBy", { count: others })}</div>;
}
