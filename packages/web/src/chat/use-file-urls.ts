// Signed URLs for attachments, fetched in one batch per render set through the SDK's cache (renewed before expiry).

import type { SignedFile } from "@parley/client";
import { useEffect, useState } from "react";
import { useStore } from "../state/store-context.js";

export function useFileUrls(ids: readonly string[]): Map<string, SignedFile> {
  const store = useStore();
  const [urls, setUrls] = useState<Map<string, SignedFile>>(() => new Map());
  const key = ids.join(",");
  useEffect(() => {
    if (key === "") return;
    let live = true;
    store.client
      .fileUrls(key.split(","))
      .then((found) => {
        if (live) setUrls(found);
      })
      .catch(() => {
        // Not signable (no longer visible, offline): the cards show without links, not with another set's.
        if (live) setUrls(new Map());
      });
    return () => {
      live = false;
    };
  }, [store, key]);
  return urls;
}
