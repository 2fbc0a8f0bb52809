// The preview card under a message's first link: asked for when the message comes into view, from the server
// (`links.preview`, which fetched the page and stores its image), never from the linked site; nothing when the page
// cannot be previewed.

import type { LinkPreview } from "@parley/client";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { useStore } from "../state/store-context.js";
import { linkPreviewsOf } from "./link-preview.js";

/** How close to the end of the message list counts as "at the end" (the list keeps the reader there as it grows). */
const END_SLACK_PX = 48;

export function LinkPreviewCard({ url }: { url: string }) {
  const store = useStore();
  const ref = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(false);
  const [preview, setPreview] = useState<LinkPreview | null>(null);
  /** The list was at its end when the card arrived: keep it there. */
  const keepAtEnd = useRef(false);

  useEffect(() => {
    // The bubble is watched: the empty slot is not laid out (display: none) and so never comes into view itself.
    const el = ref.current?.closest(".bubble");
    if (!el || typeof IntersectionObserver === "undefined") {
      setVisible(true);
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        setVisible(true);
        observer.disconnect();
      }
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (!visible) return;
    let live = true;
    void linkPreviewsOf(store.client)
      .get(url)
      .then((found) => {
        if (!live || !found) return;
        const list = ref.current?.closest<HTMLElement>(".messages");
        keepAtEnd.current = list ? list.scrollHeight - list.scrollTop - list.clientHeight < END_SLACK_PX : false;
        setPreview(found);
      });
    return () => {
      live = false;
    };
  }, [visible, url, store]);

  useLayoutEffect(() => {
    if (!preview || !keepAtEnd.current) return;
    const list = ref.current?.closest<HTMLElement>(".messages");
    if (list) list.scrollTop = list.scrollHeight;
    keepAtEnd.current = false;
  }, [preview]);

  let host = "";
  try {
    host = new URL(url).hostname.replace(/^www\./, "");
  } catch {
    host = url;
  }
  return (
    <div ref={ref} className="link-preview-slot">
      {preview ? (
        <a className="link-preview" href={url} target="_blank" rel="noopener noreferrer nofollow">
          {preview.image ? <img className="link-preview-image" src={preview.image} alt="" loading="lazy" /> : null}
          <span className="link-preview-text">
            <span className="link-preview-site">{preview.siteName ?? host}</span>
            {preview.title ? <span className="link-preview-title">{preview.title}</span> : null}
            {preview.description ? <span className="link-preview-description">{preview.description}</span> : null}
          </span>
        </a>
      ) : null}
    </div>
  );
}
