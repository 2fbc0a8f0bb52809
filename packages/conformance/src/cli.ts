#!/usr/bin/env node
// `npm run conformance -- --url http://host:port [options]`: runs the suite against a deployment, exit code 1 on failure.

import { parseArgs } from "node:util";
import { runConformance } from "./runner.js";

const USAGE = `Usage: npm run conformance -- --url <http(s)://host[:port]> [options]

  --url <url>               the deployment's base URL (required)
  --max-wait-ms <ms>        longest wait for a server timer in one case (default 15000); longer ones are skipped
  --hello-timeout-ms <ms>   the server's PARLEY_HELLO_TIMEOUT_MS (default 10000)
  --edit-window-ms <ms>     the server's PARLEY_EDIT_WINDOW_MS, to check window_expired (skipped without it)
  --admin-user <username>   an administrator of the server, for the admin cases (password in PARLEY_ADMIN_PASSWORD;
                            skipped without it); the registration mode is changed and put back
  --concurrency <n>         cases run at once (default 6)
  --filter <text>           only cases whose id contains the text (repeatable)
  --json                    print the report as JSON
`;

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    "max-wait-ms": { type: "string" },
    "hello-timeout-ms": { type: "string" },
    "edit-window-ms": { type: "string" },
    "admin-user": { type: "string" },
    concurrency: { type: "string" },
    filter: { type: "string", multiple: true },
    json: { type: "boolean" },
    help: { type: "boolean" },
  },
});

const number = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${name} must be a whole number, got ${raw}\n`);
    process.exit(2);
  }
  return n;
};

if (values.help || !values.url) {
  process.stdout.write(USAGE);
  process.exit(values.help ? 0 : 2);
}

const MARK = { pass: "ok  ", fail: "FAIL", skip: "skip", "expected-fail": "xfail", "unexpected-pass": "XPASS" } as const;
const report = await runConformance({
  url: values.url,
  maxWaitMs: number("max-wait-ms", values["max-wait-ms"]),
  helloTimeoutMs: number("hello-timeout-ms", values["hello-timeout-ms"]),
  editWindowMs: number("edit-window-ms", values["edit-window-ms"]),
  concurrency: number("concurrency", values.concurrency),
  filter: values.filter,
  ...(values["admin-user"]
    ? { admin: { username: values["admin-user"], password: process.env["PARLEY_ADMIN_PASSWORD"] ?? "" } }
    : {}),
  onResult: values.json
    ? undefined
    : (r) => process.stdout.write(`${MARK[r.status]} ${r.id}${r.detail ? `\n       ${r.detail}` : ""}\n`),
});
const count = (s: string) => report.results.filter((r) => r.status === s).length;
if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else
  process.stdout.write(
    `\n${report.results.length} cases: ${count("pass")} passed, ${count("fail")} failed, ${count("skip")} skipped, ${count("expected-fail")} expected failures, ${count("unexpected-pass")} unexpected passes\n`,
  );
process.exit(report.failed.length > 0 ? 1 : 0);
