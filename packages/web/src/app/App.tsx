// The top level: the sign-in screen or the chat, plus app-wide notices.

import { AuthScreen } from "../auth/AuthScreen.js";
import { useChat } from "../state/store-context.js";
import { ChatLayout } from "./ChatLayout.js";
import { Notice } from "./Notice.js";

export function App() {
  const session = useChat((s) => s.session);
  return (
    <>
      {session === "signed-in" ? <ChatLayout /> : <AuthScreen />}
      <Notice />
    </>
  );
}
