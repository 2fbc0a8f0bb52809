// Argument validators for every operation, compiled once at start-up from the protocol's schemas.

import { OP_NAMES, type OpArgs, type OpName, schemas } from "@parley/protocol";
import type { TSchema } from "@sinclair/typebox";
import { type TypeCheck, TypeCompiler } from "@sinclair/typebox/compiler";
import { AppError } from "../domain/app-error.js";

const compiled = new Map<OpName, TypeCheck<TSchema>>(OP_NAMES.map((op) => [op, TypeCompiler.Compile(schemas[op] as TSchema)]));

/** Returns the arguments typed, or throws validation_failed naming the first offending field. */
export function validateArgs<K extends OpName>(op: K, args: unknown): OpArgs<K> {
  const check = compiled.get(op)!;
  if (check.Check(args)) return args as OpArgs<K>;
  const first = check.Errors(args).First();
  const field = first?.path ? first.path.replace(/^\//, "").replace(/\//g, ".") : "";
  const what = first ? first.message : "Invalid arguments";
  throw new AppError("validation_failed", field ? `${field}: ${what}` : what, field ? { field } : undefined);
}
