// Create a channel (docs/protocol.md §6.17): its title, who can find it, who may post and what new members see. The
// settings are fixed once it exists.

import { type FormEvent, useState } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { useStore } from "../state/store-context.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";

export function NewChannelDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const t = useT();
  const [title, setTitle] = useState("");
  const [visibility, setVisibility] = useState<"public" | "private">("public");
  const [posting, setPosting] = useState<"everyone" | "admins">("everyone");
  const [history, setHistory] = useState<"full" | "from_join">("full");
  const action = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await store.createChannel({ title, visibility, posting, history });
      onClose();
    });
  };

  return (
    <Dialog title={t("sidebar.newChannel")} onClose={onClose}>
      <form onSubmit={submit} className="dialog-form">
        <label className="field">
          <span>{t("channel.name")}</span>
          <input
            name="title"
            required
            maxLength={128}
            placeholder={t("channel.namePlaceholder")}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            autoFocus
          />
        </label>
        <label className="field">
          <span>{t("channel.visibility")}</span>
          <select name="visibility" value={visibility} onChange={(e) => setVisibility(e.target.value as typeof visibility)}>
            <option value="public">{t("channel.public")}</option>
            <option value="private">{t("channel.private")}</option>
          </select>
        </label>
        <label className="field">
          <span>{t("channel.posting")}</span>
          <select name="posting" value={posting} onChange={(e) => setPosting(e.target.value as typeof posting)}>
            <option value="everyone">{t("channel.postingEveryone")}</option>
            <option value="admins">{t("channel.postingAdmins")}</option>
          </select>
        </label>
        <label className="field">
          <span>{t("channel.history")}</span>
          <select name="history" value={history} onChange={(e) => setHistory(e.target.value as typeof history)}>
            <option value="full">{t("channel.historyFull")}</option>
            <option value="from_join">{t("channel.historyFromJoin")}</option>
          </select>
        </label>
        <FormError error={action.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" className="button button-primary" disabled={action.busy || title.trim() === ""}>
            {t("channel.create")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
