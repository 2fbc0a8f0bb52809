// Appends drafts through whichever store method the build under test has: `append` (the conversation log's one
// method) or, in builds from before it, `appendMessages`; the benchmarks compare builds.

export function appendTo(store, drafts) {
  return typeof store.append === "function" ? store.append(drafts) : store.appendMessages(drafts);
}
