// Link previews (services/link-previews/): on or off, and the test-only allowance for private addresses.

import { bool, type ConfigVars, oneOf } from "./parse.js";

export interface LinkPreviewConfig {
  /** `links.preview` fetches web pages for their title, description and image; off: it answers `link_previews_disabled`. */
  linkPreviews: "on" | "off";
  /** Allow private, loopback and link-local addresses (development and tests only). */
  linkPreviewsAllowPrivate: boolean;
}

export const LINK_PREVIEW_VARS: ConfigVars<LinkPreviewConfig> = {
  linkPreviews: {
    env: "PARLEY_LINK_PREVIEWS",
    default: "on",
    description:
      "`on`: the server fetches public http(s) pages for `links.preview` (title, description, a stored thumbnail of the image); `off`: `links.preview` answers `link_previews_disabled` and nothing is fetched.",
    parse: oneOf(["on", "off"], { caseInsensitive: true }),
  },
  linkPreviewsAllowPrivate: {
    env: "PARLEY_LINK_PREVIEWS_ALLOW_PRIVATE",
    default: false,
    description:
      "Let link previews fetch private, loopback or link-local addresses (development and tests only; never in production).",
    parse: bool,
  },
};
