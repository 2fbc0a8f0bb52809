// Create a group with a title and members chosen by username.

import { type FormEvent, useState } from "react";
import { EncryptedOption } from "../e2ee/EncryptedOption.js";
import { errorText } from "../i18n/errors.js";
import { useT } from "../i18n/I18nProvider.js";
import { useStore } from "../state/store-context.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { keepFieldFocus, parseUsernames, UsernameListInput } from "./UsernameListInput.js";

export function NewGroupDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const t = useT();
  const [title, setTitle] = useState("");
  const [names, setNames] = useState<string[]>([]);
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [encrypted, setEncrypted] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await store.createGroup(title, [...names, ...parseUsernames(draft)], encrypted);
      onClose();
    } catch (caught) {
      setError(errorText(caught));
      setBusy(false);
    }
  };

  return (
    <Dialog title={t("sidebar.newGroup")} onClose={onClose}>
      <form onSubmit={submit} className="dialog-form">
        <label className="field">
          <span>{t("newGroup.name")}</span>
          <input
            name="title"
            required
            maxLength={128}
            placeholder={t("newGroup.namePlaceholder")}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            autoFocus
          />
        </label>
        <UsernameListInput
          label={t("newGroup.members")}
          names={names}
          draft={draft}
          onNames={setNames}
          onDraft={setDraft}
          placeholder={t("newGroup.membersPlaceholder")}
        />
        <EncryptedOption checked={encrypted} onChange={setEncrypted} />
        <FormError error={error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button
            type="submit"
            className="button button-primary"
            disabled={busy || title.trim() === ""}
            onMouseDown={keepFieldFocus}
          >
            {t("newGroup.create")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
