// The shape of a message catalogue and what a message needs to be filled in. English (en.ts) is the source: its keys
// and placeholders are the contract every other language follows (checked by catalogue.test.ts).
//
// A message is a string with `{name}` placeholders, or a plural: one string per CLDR plural category, chosen with
// Intl.PluralRules from the `count` parameter (which is also available as `{count}`, formatted for the language).

export type Plural = {
  readonly zero?: string;
  readonly one?: string;
  readonly two?: string;
  readonly few?: string;
  readonly many?: string;
  readonly other: string;
};
export type Message = string | Plural;
export type Catalogue<K extends string = string> = { readonly [key in K]: Message };

/** The placeholder names of a message text: "{a} and {b}" → "a" | "b". */
type Placeholders<S> = S extends `${string}{${infer P}}${infer R}` ? P | Placeholders<R> : never;

/** The parameters a message takes: its placeholders, plus `count` for a plural. */
export type ParamsOf<M> = M extends string
  ? { [P in Placeholders<M>]: string | number }
  : M extends Plural
    ? { count: number } & { [P in Placeholders<M[keyof M]>]: string | number }
    : never;

/** The argument list of `t(key, …)`: nothing for a message without placeholders. */
export type ArgsOf<M> = keyof ParamsOf<M> extends never ? [] : [params: ParamsOf<M>];

/** The placeholder names of a message (all plural forms together), for checks across languages. */
export function placeholdersOf(message: Message): string[] {
  const texts = typeof message === "string" ? [message] : Object.values(message);
  const names = new Set<string>();
  for (const text of texts) for (const match of text.matchAll(/\{(\w+)\}/g)) names.add(match[1]!);
  if (typeof message !== "string") names.add("count");
  return [...names].sort();
}
