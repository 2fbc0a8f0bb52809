// Unsent text per conversation, kept while the app runs so switching chats does not lose what was typed.

const drafts = new Map<string, string>();

export function getDraft(conversationId: string): string {
  return drafts.get(conversationId) ?? "";
}

export function setDraft(conversationId: string, text: string): void {
  if (text === "") drafts.delete(conversationId);
  else drafts.set(conversationId, text);
}
