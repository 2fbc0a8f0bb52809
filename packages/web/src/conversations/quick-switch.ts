// The quick switcher's matching: conversations whose title contains the query, those starting with it first, each
// group in the list's order (most recent activity first).

export interface Switchable {
  id: string;
  title: string;
}

export function matchSwitchable(query: string, items: readonly Switchable[], limit = 12): Switchable[] {
  const q = query.trim().toLowerCase();
  if (q === "") return items.slice(0, limit);
  const starts: Switchable[] = [];
  const contains: Switchable[] = [];
  for (const item of items) {
    const title = item.title.toLowerCase();
    if (title.startsWith(q) || title.split(/\s+/).some((w) => w.startsWith(q))) starts.push(item);
    else if (title.includes(q)) contains.push(item);
  }
  return [...starts, ...contains].slice(0, limit);
}
