// How one environment variable becomes a setting: the parsers every setting uses, and the error that names the variable.

import { parseRateRule, type RateRule } from "../ports/rate-limiter.js";

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

/** One setting: its variable, its default when the variable is unset or empty, its meaning and its parser. */
export interface VarSpec<T> {
  env: string;
  default: T;
  description: string;
  parse: (raw: string, env: string) => T;
}

/** The specs of a group of settings, one per key. */
export type ConfigVars<C> = { [K in keyof C]: VarSpec<C[K]> };

type Parser<T> = (raw: string, env: string) => T;

export function int(min: number, max: number): Parser<number> {
  return (raw, env) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(env, `expected an integer, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(env, `must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

/** `0` turns the setting off; anything else must pass `parse`. */
export function zeroOr(parse: Parser<number>): Parser<number> {
  return (raw, env) => (raw.trim() === "0" ? 0 : parse(raw, env));
}

export function bool(raw: string, env: string): boolean {
  const v = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ConfigError(env, `expected true or false, got "${raw}"`);
}

export function nonEmpty(raw: string, env: string): string {
  if (raw.trim() === "") throw new ConfigError(env, "must not be empty");
  return raw.trim();
}

/** One of a closed set of words; `caseInsensitive` also takes them in capitals. */
export function oneOf<const T extends string>(values: readonly T[], options: { caseInsensitive?: boolean } = {}): Parser<T> {
  const list = `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}`;
  return (raw, env) => {
    const v = options.caseInsensitive ? raw.trim().toLowerCase() : raw.trim();
    if (!(values as readonly string[]).includes(v)) throw new ConfigError(env, `must be ${list}, got "${raw}"`);
    return v as T;
  };
}

/** The trimmed value, which must match `pattern`. */
export function matching(pattern: RegExp, message: string | ((raw: string) => string)): Parser<string> {
  return (raw, env) => {
    const v = raw.trim();
    if (!pattern.test(v)) throw new ConfigError(env, typeof message === "string" ? message : message(raw));
    return v;
  };
}

/** A name safe in Redis keys, presence entries and SQL identifiers. */
export function identifier(maxLength: number): Parser<string> {
  return (raw, env) => {
    const v = raw.trim();
    if (!/^[A-Za-z0-9_.-]+$/.test(v) || v.length > maxLength) {
      throw new ConfigError(env, `use 1 to ${maxLength} letters, digits, "_", "-" or ".", got "${raw}"`);
    }
    return v;
  };
}

/** A trimmed secret of at least `minLength` characters. */
export function secret(minLength: number): Parser<string> {
  return (raw, env) => {
    if (raw.trim().length < minLength) throw new ConfigError(env, `must be at least ${minLength} characters`);
    return raw.trim();
  };
}

export const base64Url = matching(/^[A-Za-z0-9_-]+=*$/, "expected a base64url string");

export function rate(raw: string, env: string): RateRule | null {
  try {
    return parseRateRule(raw);
  } catch (error) {
    throw new ConfigError(env, (error as Error).message);
  }
}

export function origins(raw: string, env: string): string[] {
  const list = raw
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  for (const o of list) {
    if (o === "*") continue;
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new ConfigError(env, `"${o}" is not an origin such as https://chat.example.com`);
    }
    if (url.origin !== o.replace(/\/$/, ""))
      throw new ConfigError(env, `"${o}" is not an origin (scheme://host[:port], no path)`);
  }
  return list.map((o) => (o === "*" ? o : new URL(o).origin));
}

/** Two settings that only work together: both set, or neither. */
export function bothOrNeither(first: [value: unknown, env: string], second: [value: unknown, env: string]): void {
  if ((first[0] === undefined) === (second[0] === undefined)) return;
  throw new ConfigError(first[0] === undefined ? first[1] : second[1], `set both ${first[1]} and ${second[1]}`);
}
