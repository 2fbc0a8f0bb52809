// No failure is swallowed in silence: production source (packages/*/src, tests excepted) has no empty catch block and
// no rejection handler that does nothing. Best-effort work reports to its sink (observability/best-effort.ts on the
// server, the `error` event in the SDK); an expected failure is handled by code that says what it does instead.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** Production source files: every .ts/.tsx under packages/<name>/src except tests and test folders. */
function productionFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "test" && entry.name !== "node_modules") walk(path);
      } else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        files.push(path);
      }
    }
  };
  for (const pkg of readdirSync(join(ROOT, "packages"), { withFileTypes: true })) {
    if (!pkg.isDirectory()) continue;
    try {
      walk(join(ROOT, "packages", pkg.name, "src"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return files;
}

/** A function that does nothing: `() => {}`, `() => undefined`, `() => void 0`, `function () {}`. */
function doesNothing(node: ts.Node): boolean {
  if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return false;
  const body = node.body;
  if (ts.isBlock(body)) return body.statements.length === 0;
  return (ts.isIdentifier(body) && body.text === "undefined") || ts.isVoidExpression(body);
}

/** Every silent catch in `text` as `line: what`. */
export function silentCatches(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const report = (node: ts.Node, what: string) =>
    found.push(`${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}: ${what}`);
  const visit = (node: ts.Node) => {
    if (ts.isCatchClause(node) && node.block.statements.length === 0) report(node, "empty catch block");
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const handler = method === "catch" ? node.arguments[0] : method === "then" ? node.arguments[1] : undefined;
      if (handler !== undefined) {
        if (doesNothing(handler)) report(node, `.${method}() with a handler that does nothing`);
        else if (ts.isIdentifier(handler) && /^(noop|ignore|swallow)$/i.test(handler.text)) {
          report(node, `.${method}(${handler.text})`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("no silent catch in production code", () => {
  it("the scanner finds empty catches and do-nothing rejection handlers, and passes handled ones", () => {
    const found = silentCatches(
      "sample.ts",
      `try { a(); } catch {}
       try { a(); } catch (e) { /* only a comment */ }
       p.catch(() => {});
       p.catch(() => undefined);
       p.then(ok, () => {});
       p.catch(noop);
       try { a(); } catch (e) { sink.failed("x", e); }
       p.catch((e) => sink.failed("x", e));
       p.catch(() => false);`,
    );
    assert.deepEqual(
      found.map((f) => f.split(":")[0]),
      ["1", "2", "3", "4", "5", "6"],
    );
  });

  it("finds none in packages/*/src", () => {
    const files = productionFiles();
    assert.ok(files.length > 100, `scanned ${files.length} files`);
    const offences: string[] = [];
    for (const file of files) {
      for (const hit of silentCatches(file, readFileSync(file, "utf8"))) offences.push(`${relative(ROOT, file)}:${hit}`);
    }
    assert.deepEqual(offences, [], "report the failure (best-effort sink, SDK error event) or handle it explicitly");
  });
});
