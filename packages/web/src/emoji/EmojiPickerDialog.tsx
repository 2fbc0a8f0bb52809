// The emoji picker in a dialog, its code and data fetched only when it first opens (a chunk of their own).

import { lazy, Suspense } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { Dialog } from "../ui/Dialog.js";

const EmojiPicker = lazy(() => import("./EmojiPicker.js"));

export function EmojiPickerDialog({
  title,
  onPick,
  onClose,
}: {
  title?: string;
  onPick: (emoji: string) => void;
  onClose: () => void;
}) {
  const t = useT();
  return (
    <Dialog title={title ?? t("emoji.title")} onClose={onClose} className="emoji-dialog">
      <Suspense fallback={<p className="emoji-status">{t("emoji.loading")}</p>}>
        <EmojiPicker onPick={onPick} />
      </Suspense>
    </Dialog>
  );
}
