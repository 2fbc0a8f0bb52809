// React access to the NotificationStore: the provider, the store (for actions) and subscriptions to its state.

import { createContext, type ReactNode, useContext, useSyncExternalStore } from "react";
import type { NotificationState, NotificationStore } from "./notification-store.js";

const NotificationContext = createContext<NotificationStore | null>(null);

export function NotificationProvider({ store, children }: { store: NotificationStore; children: ReactNode }) {
  return <NotificationContext.Provider value={store}>{children}</NotificationContext.Provider>;
}

export function useNotificationStore(): NotificationStore {
  const store = useContext(NotificationContext);
  if (!store) throw new Error("useNotificationStore needs a <NotificationProvider>");
  return store;
}

export function useNotifications<T>(selector: (state: NotificationState) => T): T {
  const store = useNotificationStore();
  return useSyncExternalStore(store.subscribe, () => selector(store.getState()));
}
