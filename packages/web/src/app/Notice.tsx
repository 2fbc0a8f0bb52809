// A dismissible message for the user (session ended, an action failed), announced to screen readers.

import { useChat, useStore } from "../state/store-context.js";
import { Icon } from "../ui/Icon.js";

export function Notice() {
  const store = useStore();
  const notice = useChat((s) => s.notice);
  if (!notice) return null;
  return (
    <div className="notice" role="alert">
      <span>{notice}</span>
      <button type="button" className="icon-button" onClick={() => store.dismissNotice()} aria-label="Dismiss">
        <Icon name="close" />
      </button>
    </div>
  );
}
