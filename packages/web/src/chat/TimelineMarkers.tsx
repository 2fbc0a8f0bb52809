// The non-message rows of a conversation: day separators, the unread marker and system notes.

import type { Message } from "@parley/client";
import { describeSystemEvent, type Names } from "../format/system-events.js";
import { formatDayLabel, formatFullTimestamp } from "../format/time.js";
import { useT } from "../i18n/I18nProvider.js";

export function DaySeparator({ at, now }: { at: number; now: number }) {
  useT();
  return (
    <div className="day-separator">
      <span>{formatDayLabel(at, now)}</span>
    </div>
  );
}

export function UnreadMarker({ count }: { count: number }) {
  const t = useT();
  return (
    <div className="unread-marker" data-unread-marker="">
      <span>{t("messages.unread", { count })}</span>
    </div>
  );
}

export function SystemNote({ message, names }: { message: Message; names: Names }) {
  useT();
  if (!message.event) return null;
  return (
    <div className="system-note" title={formatFullTimestamp(message.createdAt)}>
      <span>{describeSystemEvent(message.event, names)}</span>
    </div>
  );
}
