// Start (or reopen) a direct chat with someone found by name, or by the username typed.

import { type FormEvent, useState } from "react";
import { useStore } from "../state/store-context.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { usePeopleSuggestions } from "./PeopleSuggestions.js";

export function NewChatDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const [username, setUsername] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const start = async (name: string) => {
    setBusy(true);
    setError(null);
    try {
      await store.startDirect(name);
      onClose();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
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
    <Dialog title="New chat" onClose={onClose}>
      <form onSubmit={submit} className="dialog-form">
        <label className="field">
          <span>Name or username</span>
          <input
            name="username"
            {...suggestions.inputProps}
            onKeyDown={(event) => suggestions.onKeyDown(event)}
            placeholder="e.g. Alice or alice"
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
