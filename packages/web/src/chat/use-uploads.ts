// Files being attached to the next message: each uploads at once (progress, errors), images show a preview, and all
// are sent when the user sends (the message's text is their caption).

import type { Attachment } from "@parley/client";
import { useCallback, useEffect, useRef, useState } from "react";
import { tooLargeText, uploadErrorText } from "../format/upload-errors.js";
import { t } from "../i18n/i18n.js";
import { useChat, useStore } from "../state/store-context.js";

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  sent: number;
  /** Set once the server has stored it. */
  attachment?: Attachment;
  /** A local URL of the picture (images only), to see it before sending; revoked when the item goes. */
  preview?: string;
  error?: string;
}

export interface Uploads {
  items: readonly UploadItem[];
  add(files: readonly File[]): void;
  remove(key: string): void;
  /** Forgets every item (after sending); uploads still running are cancelled. */
  clear(): void;
  /** Stored uploads, in the order they were added. */
  ready: Attachment[];
  busy: boolean;
}

let counter = 0;

/** Images the browser shows inline and the server makes thumbnails of (SVG stays a file: it can carry scripts). */
const PREVIEWABLE = new Set(["image/jpeg", "image/png", "image/webp", "image/gif"]);

function revoke(items: readonly UploadItem[]): void {
  for (const item of items) if (item.preview) URL.revokeObjectURL(item.preview);
}

export function useUploads(conversationId: string): Uploads {
  const store = useStore();
  const maxBytes = useChat((s) => s.maxUploadBytes);
  const maxFiles = useChat((s) => s.maxAttachments);
  const encrypted = useChat((s) => s.conversations[conversationId]?.encrypted === true);
  const [items, setItems] = useState<UploadItem[]>([]);
  const aborts = useRef(new Map<string, AbortController>());
  // The items as last rendered, for revoking their previews when the draft's files are cleared.
  const current = useRef(items);
  current.current = items;

  const patch = useCallback((key: string, change: Partial<UploadItem>) => {
    setItems((list) => list.map((i) => (i.key === key ? { ...i, ...change } : i)));
  }, []);

  const clear = useCallback(() => {
    for (const controller of aborts.current.values()) controller.abort();
    aborts.current.clear();
    revoke(current.current);
    setItems([]);
  }, []);

  // A draft's files belong to its conversation.
  // biome-ignore lint/correctness/useExhaustiveDependencies: cleared whenever the conversation changes
  useEffect(() => clear, [conversationId, clear]);

  const add = useCallback(
    (files: readonly File[]) => {
      setItems((list) => {
        const room = Math.max(0, maxFiles - list.length);
        const added: UploadItem[] = files.map((file, i) => {
          const key = `up-${++counter}`;
          const item: UploadItem = { key, name: file.name, size: file.size, sent: 0 };
          if (i >= room) return { ...item, error: t("upload.tooMany", { count: maxFiles }) };
          if (file.size > maxBytes) return { ...item, error: tooLargeText(maxBytes) };
          if (file.size === 0) return { ...item, error: t("upload.empty") };
          if (PREVIEWABLE.has(file.type)) item.preview = URL.createObjectURL(file);
          const controller = new AbortController();
          aborts.current.set(key, controller);
          // An encrypted conversation's files are encrypted here first (no progress: the ciphertext goes up at once).
          const upload = encrypted
            ? store.uploadEncrypted(file)
            : store.client.upload(file, {
                name: file.name,
                type: file.type,
                signal: controller.signal,
                onProgress: (sent) => patch(key, { sent }),
              });
          upload
            .then(
              (attachment) => {
                if (!controller.signal.aborted) patch(key, { attachment, sent: file.size });
              },
              (error: unknown) => {
                if (!controller.signal.aborted) patch(key, { error: uploadErrorText(error) });
              },
            )
            .finally(() => aborts.current.delete(key));
          return item;
        });
        return [...list, ...added];
      });
    },
    [store, patch, maxBytes, maxFiles, encrypted],
  );

  const remove = useCallback((key: string) => {
    aborts.current.get(key)?.abort();
    aborts.current.delete(key);
    setItems((list) => {
      revoke(list.filter((i) => i.key === key));
      return list.filter((i) => i.key !== key);
    });
  }, []);

  const ready = items.flatMap((i) => (i.attachment ? [i.attachment] : []));
  const busy = items.some((i) => !i.attachment && !i.error);
  return { items, add, remove, clear, ready, busy };
}
