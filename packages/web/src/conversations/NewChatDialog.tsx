// Start (or reopen) a direct chat with someone found by name, or by the username typed.

import { type FormEvent, useState } from "react";
import { EncryptedOption } from "../e2ee/EncryptedOption.js";
import { errorText } from "../i18n/errors.js";
import { useT } from "../i18n/I18nProvider.js";
import { useStore } from "../state/store-context.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { usePeopleSuggestions } from "./PeopleSuggestions.js";

export function NewChatDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const t = useT();
  const [username, setUsername] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [encrypted, setEncrypted] = useState(false);

  const start = async (name: string) => {
    setBusy(true);
    setError(null);
    try {
      await store.startDirect(name, encrypted);
      onClose();
    } catch (caught) {
      setError(errorText(caught));
      setBusy(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void start(username);
  };
  const suggestions = usePeopleSuggestions(username, [], (user) => {
    setUsername(user.username);
    void start(user.username);
  });

  return (
    <Dialog title={t("sidebar.newChat")} onClose={onClose}>
      <form onSubmit={submit} className="dialog-form">
        <label className="field">
          <span>{t("newChat.who")}</span>
          <input
            name="username"
            {...suggestions.inputProps}
            onKeyDown={(event) => suggestions.onKeyDown(event)}
            placeholder={t("newChat.placeholder")}
            autoCapitalize="none"
            autoComplete="off"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoFocus
          />
        </label>
        {suggestions.list}
        <EncryptedOption checked={encrypted} onChange={setEncrypted} />
        <FormError error={error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" className="button button-primary" disabled={busy || username.trim() === ""}>
            {t("newChat.start")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
