// Assertions on answers: a result of the documented shape and status, or exactly the documented error.

import type { ErrorCode, OpName } from "@parley/protocol";
import type { Outcome } from "./context.js";
import { ErrorBody, RESULT_SHAPES, statusOf } from "./shapes.js";
import type { Json } from "./wire.js";

export class Failure extends Error {}

/** Thrown by a case that cannot run against this deployment; the reason says what it needs. */
export class Skip extends Error {}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Failure(message);
}

const describe = (o: Outcome) => `${o.op} over ${o.transport}`;

/** An HTTP answer read as the outcome of `op` (its status, and its error body or its result). */
export const asOutcome = (op: OpName, answer: { status: number; body: Json }): Outcome => ({
  op,
  transport: "http",
  status: answer.status,
  ...(answer.body?.error ? { error: answer.body.error } : { result: answer.body }),
});

/** The result of a successful call, checked against the operation's documented shape (and 200, or 201 for register). */
export function expectOk(outcome: Outcome): Json {
  if (outcome.error !== undefined)
    throw new Failure(`${describe(outcome)}: expected a result, got error ${JSON.stringify(outcome.error)}`);
  if (outcome.transport === "http") {
    const expected = outcome.op === "auth.register" ? 201 : 200;
    check(outcome.status === expected, `${describe(outcome)}: expected HTTP ${expected}, got ${outcome.status}`);
  }
  try {
    RESULT_SHAPES[outcome.op](outcome.result, "");
  } catch (error) {
    throw new Failure(`${describe(outcome)}: result breaks the documented shape: ${(error as Error).message}`);
  }
  return outcome.result;
}

/** The error of a failed call: exactly `code`, a well-formed ErrorBody, and over HTTP the code's status. */
export function expectError(outcome: Outcome, code: ErrorCode, details: Record<string, unknown> = {}): Json {
  check(
    outcome.error !== undefined,
    `${describe(outcome)}: expected error ${code}, got result ${JSON.stringify(outcome.result)?.slice(0, 200)}`,
  );
  return expectErrorBody(outcome.error, code, details, describe(outcome), outcome.status);
}

/** Checks an error body (from a frame or an HTTP answer); `status` is checked when given. */
export function expectErrorBody(
  error: Json,
  code: ErrorCode,
  details: Record<string, unknown>,
  what: string,
  status?: number,
): Json {
  check(error?.code === code, `${what}: expected error ${code}, got ${JSON.stringify(error)}`);
  try {
    ErrorBody(error, "error");
  } catch (e) {
    throw new Failure(`${what}: ${(e as Error).message}`);
  }
  if (status !== undefined)
    check(status === statusOf(code), `${what}: expected HTTP ${statusOf(code)} for ${code}, got ${status}`);
  for (const [k, v] of Object.entries(details))
    check(
      JSON.stringify(error.details?.[k]) === JSON.stringify(v),
      `${what}: expected details.${k} = ${JSON.stringify(v)}, got ${JSON.stringify(error.details?.[k])}`,
    );
  return error;
}
