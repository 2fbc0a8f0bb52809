// A round avatar: the person's profile picture when they have one, else initials on a color derived from the id; an
// optional online dot.

import { type CSSProperties, useState } from "react";
import { useChat, useStore } from "../state/store-context.js";
import { avatarHue, initials } from "./avatar-style.js";

export interface AvatarProps {
  id: string;
  name: string;
  size?: "sm" | "md" | "lg" | "xl";
  online?: boolean | undefined;
  group?: boolean;
  /** The person shown: their profile picture replaces the initials once it has loaded. */
  userId?: string | undefined;
}

export function Avatar({ id, name, size = "md", online, group = false, userId }: AvatarProps) {
  const picture = useUserPicture(userId, size === "lg" || size === "xl" ? "large" : "small");
  // A picture that fails to load (removed meanwhile, offline) leaves the initials.
  const [failed, setFailed] = useState<string | undefined>(undefined);
  return (
    <span
      className={`avatar avatar-${size}${group ? " avatar-group" : ""}`}
      style={{ "--avatar-hue": avatarHue(id) } as CSSProperties}
      aria-hidden="true"
      data-picture={picture && failed !== picture ? "" : undefined}
    >
      {/* Drawn by CSS: decorative text that would otherwise count as the visible label of a button around it. */}
      <span className="avatar-initials" data-initials={initials(name)} />
      {picture && failed !== picture ? (
        <img className="avatar-picture" src={picture} alt="" draggable={false} onError={() => setFailed(picture)} />
      ) : null}
      {online ? <span className="presence-dot" /> : null}
    </span>
  );
}

/** The URL of a user's profile picture as the store knows them; undefined without a user or a picture. */
export function useUserPicture(userId: string | undefined, size: "small" | "large" = "small"): string | undefined {
  const store = useStore();
  const user = useChat((s) => (userId ? s.users[userId] : undefined));
  return user ? store.client.avatarUrl(user, size) : undefined;
}
