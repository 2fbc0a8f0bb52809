// Argument validators for every operation, compiled once at start-up from the operations' definitions.

import { OP_NAMES, type OpArgs, type OpName, operations, VISIBLE_NAME_FORMAT, VISIBLE_NAME_MESSAGE } from "@parley/protocol";
import type { TSchema } from "@sinclair/typebox";
import { type TypeCheck, TypeCompiler } from "@sinclair/typebox/compiler";
import { ValueErrorType } from "@sinclair/typebox/errors";
import { HasTransform } from "@sinclair/typebox/value";
import { AppError } from "../domain/app-error.js";

const compiled = new Map<OpName, TypeCheck<TSchema>>(
  OP_NAMES.map((op) => [op, TypeCompiler.Compile<TSchema>(operations[op].args)]),
);
/** Operations whose schemas normalise what they accept (user-visible names to NFC): their arguments are decoded. */
const decoded = new Set<OpName>(OP_NAMES.filter((op) => HasTransform(operations[op].args, [])));

/** Returns the arguments typed (and normalised), or throws validation_failed naming the first offending field. */
export function validateArgs<K extends OpName>(op: K, args: unknown): OpArgs<K> {
  const check = compiled.get(op)!;
  if (check.Check(args)) return (decoded.has(op) ? check.Decode(args) : args) as OpArgs<K>;
  const first = check.Errors(args).First();
  const field = first?.path ? first.path.replace(/^\//, "").replace(/\//g, ".") : "";
  const nameRule = first?.type === ValueErrorType.StringFormat && first.schema.format === VISIBLE_NAME_FORMAT;
  const what = first ? (nameRule ? VISIBLE_NAME_MESSAGE : first.message) : "Invalid arguments";
  throw new AppError("validation_failed", field ? `${field}: ${what}` : what, field ? { field } : undefined);
}
