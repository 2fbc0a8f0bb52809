// A round avatar with initials on a color derived from the id, and an optional online dot.

import type { CSSProperties } from "react";
import { avatarHue, initials } from "./avatar-style.js";

export interface AvatarProps {
  id: string;
  name: string;
  size?: "sm" | "md" | "lg";
  online?: boolean | undefined;
  group?: boolean;
}

export function Avatar({ id, name, size = "md", online, group = false }: AvatarProps) {
  return (
    <span
      className={`avatar avatar-${size}${group ? " avatar-group" : ""}`}
      style={{ "--avatar-hue": avatarHue(id) } as CSSProperties}
      aria-hidden="true"
    >
      {initials(name)}
      {online ? <span className="presence-dot" /> : null}
    </span>
  );
}
