// Another user's profile, opened from their picture anywhere in the app: picture, name, username, and a button to
// message them. One dialog for the whole signed-in screen, opened through `useShowProfile`.

import { createContext, type ReactNode, useCallback, useContext, useState } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { displayName } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";
import { Avatar, type AvatarProps } from "../ui/Avatar.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";

const ShowProfile = createContext<((userId: string) => void) | null>(null);

/** Shows the profile of the user with this id (over whatever else is open). */
export function useShowProfile(): (userId: string) => void {
  const show = useContext(ShowProfile);
  if (!show) throw new Error("useShowProfile needs a <ProfileViewProvider>");
  return show;
}

export function ProfileViewProvider({ children }: { children: ReactNode }) {
  const [userId, setUserId] = useState<string | null>(null);
  const show = useCallback((id: string) => setUserId(id), []);
  return (
    <ShowProfile.Provider value={show}>
      {children}
      {userId ? <UserProfileDialog userId={userId} onClose={() => setUserId(null)} /> : null}
    </ShowProfile.Provider>
  );
}

/** A user's avatar as a button that opens their profile (at least 40 × 40 px, a touch target). */
export function ProfileButton({ userId, name, ...avatar }: Omit<AvatarProps, "id" | "userId"> & { userId: string }) {
  const show = useShowProfile();
  const t = useT();
  return (
    <button type="button" className="profile-button" onClick={() => show(userId)} aria-label={t("profile.of", { name })}>
      <Avatar id={userId} userId={userId} name={name} {...avatar} />
    </button>
  );
}

function UserProfileDialog({ userId, onClose }: { userId: string; onClose: () => void }) {
  const store = useStore();
  const t = useT();
  const me = useChat((s) => s.me?.id);
  const user = useChat((s) => s.users[userId]);
  const action = useAction();
  const name = displayName(user);
  const message = () =>
    void action.run(async () => {
      if (!user) return;
      await store.startDirect(user.username);
      onClose();
    });
  return (
    <Dialog title={t("profile.title")} onClose={onClose} className="profile-dialog">
      <div className="profile-card">
        <Avatar id={userId} userId={userId} name={name} size="xl" />
        <h3 className="profile-name">
          <bdi>{name}</bdi>
        </h3>
        {user ? <p className="profile-username muted">@{user.username}</p> : null}
        {user?.deactivated ? <p className="muted">{t("profile.deactivated")}</p> : null}
        <FormError error={action.error} />
        {user && userId !== me && !user.deactivated ? (
          <div className="dialog-actions">
            <button type="button" className="button button-primary" disabled={action.busy} onClick={message}>
              {t("profile.message")}
            </button>
          </div>
        ) : null}
      </div>
    </Dialog>
  );
}
