// One form's or button's request at a time: whether it is running, and its error as text for a FormError.

import { useCallback, useState } from "react";
import { errorText } from "../i18n/errors.js";

export interface Action {
  busy: boolean;
  error: string | null;
  /** Runs `work` unless one is running; an error thrown becomes `error` (through `explain` when given). */
  run: (work: () => Promise<void>) => Promise<void>;
  setError: (error: string | null) => void;
}

export function useAction(explain?: (error: unknown) => string | undefined): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (work: () => Promise<void>) => {
      setBusy(true);
      setError(null);
      try {
        await work();
      } catch (caught) {
        setError(explain?.(caught) ?? errorText(caught));
      } finally {
        setBusy(false);
      }
    },
    [explain],
  );
  return { busy, error, run, setError };
}
