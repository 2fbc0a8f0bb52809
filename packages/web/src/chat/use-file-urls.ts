// Signed URLs for attachments, fetched in one batch per render set through the SDK's cache (renewed before expiry); and
// for an encrypted conversation's pictures, their thumbnails decrypted on this device.

import type { Attachment, SignedFile } from "@parley/client";
import { useEffect, useState } from "react";
import { isImage } from "../format/files.js";
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

/**
 * An encrypted conversation's pictures: their thumbnails downloaded and decrypted on this device (the server has only
 * ciphertext), as object URLs revoked when the set changes or the message goes away. Empty when `enabled` is false.
 */
export function useDecryptedThumbnails(attachments: readonly Attachment[], enabled: boolean): Map<string, string> {
  const store = useStore();
  const [urls, setUrls] = useState<Map<string, string>>(() => new Map());
  const pictures = enabled ? attachments.filter(isImage) : [];
  const key = pictures.map((a) => a.id).join(",");
  // biome-ignore lint/correctness/useExhaustiveDependencies: `pictures` is what `key` names
  useEffect(() => {
    if (key === "") return;
    let live = true;
    const made: string[] = [];
    const decrypt = async (a: Attachment): Promise<[string, string]> => {
      const url = await store.decryptedFileUrl(a, true);
      if (live) made.push(url);
      else URL.revokeObjectURL(url);
      return [a.id, url];
    };
    Promise.all(pictures.map(decrypt)).then(
      (pairs) => {
        if (live) setUrls(new Map(pairs));
      },
      () => {
        // Not readable here (a file from before this device joined, or offline): the boxes show without pictures, as
        // an unsigned plain attachment does.
        if (live) setUrls(new Map());
      },
    );
    return () => {
      live = false;
      for (const url of made) URL.revokeObjectURL(url);
    };
  }, [store, key]);
  return urls;
}
