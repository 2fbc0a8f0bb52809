// The top level: the sign-in screen or the chat, plus app-wide notices. Opened from an invite link, the sign-in screen
// starts at creating an account with the invitation; from a password-reset link, at choosing a new password.

import { useState } from "react";
import { ProfileViewProvider } from "../account/UserProfile.js";
import { AuthScreen } from "../auth/AuthScreen.js";
import type { AuthLink } from "../auth/auth-link.js";
import { ResetPasswordScreen } from "../auth/ResetPasswordScreen.js";
import { useChat } from "../state/store-context.js";
import { ChatLayout } from "./ChatLayout.js";
import { Notice } from "./Notice.js";

export function App({ link = null }: { link?: AuthLink | null }) {
  const session = useChat((s) => s.session);
  const [pending, setPending] = useState(link);
  const screen =
    pending?.kind === "reset" ? (
      <ResetPasswordScreen token={pending.token} onDone={() => setPending(null)} />
    ) : session === "signed-in" ? (
      <ProfileViewProvider>
        <ChatLayout />
      </ProfileViewProvider>
    ) : (
      <AuthScreen invite={pending?.kind === "invite" ? pending.token : undefined} />
    );
  return (
    <>
      {screen}
      <Notice />
    </>
  );
}
