// A dismissible message for the user (session ended, an action failed), announced to screen readers.

import { useT } from "../i18n/I18nProvider.js";
import { useChat, useStore } from "../state/store-context.js";
import { Icon } from "../ui/Icon.js";

export function Notice() {
  const store = useStore();
  const t = useT();
  const notice = useChat((s) => s.notice);
  if (!notice) return null;
  return (
    <div className="notice" role="alert">
      <span>{notice}</span>
      <button type="button" className="icon-button" onClick={() => store.dismissNotice()} aria-label={t("common.dismiss")}>
        <Icon name="close" />
      </button>
    </div>
  );
}
