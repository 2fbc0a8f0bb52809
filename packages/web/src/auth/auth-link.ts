// The links the server's administrators hand out (docs/protocol.md §6.11): `<server>/invite#<token>` to sign up with
// an invitation, `<server>/reset#<token>` to choose a new password. The token is in the fragment so that it reaches
// no server log; `?invite=<token>` / `?token=<token>` are read too, for links pasted into tools that drop fragments.

export type AuthLink = { kind: "invite" | "reset"; token: string };

/** The protocol's bound on a token; whether it is valid is for the server to say (`invalid_invite`, `invalid_reset_token`). */
const TOKEN = /^\S{1,256}$/;

export function authLinkFromLocation(location: { pathname: string; hash: string; search: string }): AuthLink | null {
  const path = location.pathname.replace(/\/+$/, "");
  const kind = path === "/invite" ? "invite" : path === "/reset" ? "reset" : null;
  if (!kind) return null;
  const query = new URLSearchParams(location.search);
  const token = decodeURIComponent(location.hash.replace(/^#/, "")) || query.get(kind) || query.get("token") || "";
  return TOKEN.test(token) ? { kind, token } : null;
}

/** The address of a link for this server (what an administrator copies). */
export function authLinkUrl(origin: string, link: AuthLink): string {
  return `${origin}/${link.kind}#${link.token}`;
}
