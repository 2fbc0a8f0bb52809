// Start (or reopen) a direct chat with someone by username.

import { type FormEvent, useState } from "react";
import { useStore } from "../state/store-context.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";

export function NewChatDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const [username, setUsername] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await store.startDirect(username);
      onClose();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
      setBusy(false);
    }
  };

  return (
    <Dialog title="New chat" onClose={onClose}>
      <form onSubmit={submit} className="dialog-form">
        <label className="field">
          <span>Username</span>
          <input
            name="username"
            placeholder="e.g. alice"
            autoCapitalize="none"
            autoComplete="off"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoFocus
          />
        </label>
        <FormError error={error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy || username.trim() === ""}>
            Start chat
          </button>
        </div>
      </form>
    </Dialog>
  );
}
