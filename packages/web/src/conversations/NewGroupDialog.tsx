// Create a group with a title and members chosen by username.

import { type FormEvent, useState } from "react";
import { useStore } from "../state/store-context.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { parseUsernames, UsernameListInput } from "./UsernameListInput.js";

export function NewGroupDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const [title, setTitle] = useState("");
  const [names, setNames] = useState<string[]>([]);
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await store.createGroup(title, [...names, ...parseUsernames(draft)]);
      onClose();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
      setBusy(false);
    }
  };

  return (
    <Dialog title="New group" onClose={onClose}>
      <form onSubmit={submit} className="dialog-form">
        <label className="field">
          <span>Group name</span>
          <input
            name="title"
            required
            maxLength={128}
            placeholder="e.g. Weekend trip"
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            autoFocus
          />
        </label>
        <UsernameListInput
          label="Members"
          names={names}
          draft={draft}
          onNames={setNames}
          onDraft={setDraft}
          placeholder="Usernames, separated by commas"
        />
        <FormError error={error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy || title.trim() === ""}>
            Create group
          </button>
        </div>
      </form>
    </Dialog>
  );
}
