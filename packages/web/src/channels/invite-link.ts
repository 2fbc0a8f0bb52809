// Invite links of channels in the web app: `<origin>/join#<token>` (docs/protocol.md §6.17). The token rides in the
// fragment, which browsers never send to the server (nor into its logs), as the sign-up invitations' `/invite#…` do.
// Opening one signs in first when needed, then joins the channel and opens it.

const PATH = "/join";

export function inviteUrl(token: string, origin: string): string {
  return `${origin}${PATH}#${encodeURIComponent(token)}`;
}

/** The invite token of a location, or null when it is no invite link. */
export function inviteTokenFromLocation(location: Pick<Location, "pathname" | "hash">): string | null {
  if (location.pathname.replace(/\/+$/, "") !== PATH) return null;
  const token = decodeURIComponent(location.hash.replace(/^#/, ""));
  return token.length > 0 && token.length <= 200 ? token : null;
}

/** What following an invite link needs of the store. */
export interface InviteJoiner {
  getState(): { session: "signed-in" | "signed-out" };
  subscribe(listener: () => void): () => void;
  joinChannelByInvite(token: string): Promise<void>;
  notify(error: unknown): void;
}

/**
 * Joins the channel of `token` once the user is signed in (at once, or after they sign in or create an account), then
 * opens it; a refused link (expired, revoked, used up) becomes the app's notice.
 */
export function followInviteLink(store: InviteJoiner, token: string): void {
  let done = false;
  const attempt = () => {
    if (done || store.getState().session !== "signed-in") return;
    done = true;
    unsubscribe();
    store.joinChannelByInvite(token).catch((error: unknown) => store.notify(error));
  };
  const unsubscribe = store.subscribe(attempt);
  attempt();
}
