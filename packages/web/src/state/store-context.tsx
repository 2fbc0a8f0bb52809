// React access to the ChatStore: the provider, the store itself (for actions), and subscriptions to slices of state.

import { createContext, type ReactNode, useContext, useSyncExternalStore } from "react";
import type { ChatStore } from "./chat-store.js";
import type { ChatState } from "./types.js";

const StoreContext = createContext<ChatStore | null>(null);

export function StoreProvider({ store, children }: { store: ChatStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function useStore(): ChatStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error("useStore needs a <StoreProvider>");
  return store;
}

/**
 * Re-renders when the selected value changes (by identity). Select stored objects, not objects built in the selector
 * (derive those with useMemo), or the component re-renders on every change of the store.
 */
export function useChat<T>(selector: (state: ChatState) => T): T {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, () => selector(store.getState()));
}
