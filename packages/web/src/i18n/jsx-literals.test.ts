// Every word a user reads comes from the message catalogue: this test parses each component (packages/web/src/**/*.tsx)
// with the TypeScript compiler and fails on JSX text, on text-bearing attributes (aria-label, title, placeholder, alt,
// label, hint…) given a literal, and on string literals that a JSX expression renders directly, when they hold a letter.
// Symbols ("×", "⋯", "99+", "@") are not words and pass.

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** Attributes whose value people read or hear. */
const TEXT_ATTRIBUTES = new Set([
  "aria-label",
  "aria-description",
  "aria-roledescription",
  "aria-valuetext",
  "aria-placeholder",
  "title",
  "placeholder",
  "alt",
  "label",
  "hint",
]);
const WORD = /\p{L}/u;

export interface Finding {
  line: number;
  text: string;
}

/** The literals in a TSX source that bypass the catalogue. */
export function findLiterals(source: string, fileName = "component.tsx"): Finding[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const findings: Finding[] = [];
  const report = (node: ts.Node, text: string) =>
    findings.push({ line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1, text: text.trim() });

  /** Literals an expression evaluates to directly (through conditionals, ?? and ||, parentheses, template parts). */
  const literalsOf = (expression: ts.Expression): void => {
    if (ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression)) {
      if (WORD.test(expression.text)) report(expression, expression.text);
    } else if (ts.isTemplateExpression(expression)) {
      const parts = [expression.head.text, ...expression.templateSpans.map((span) => span.literal.text)].join(" ");
      if (WORD.test(parts)) report(expression, parts);
    } else if (ts.isConditionalExpression(expression)) {
      literalsOf(expression.whenTrue);
      literalsOf(expression.whenFalse);
    } else if (ts.isParenthesizedExpression(expression)) {
      literalsOf(expression.expression);
    } else if (
      ts.isBinaryExpression(expression) &&
      [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.AmpersandAmpersandToken].includes(
        expression.operatorToken.kind,
      )
    ) {
      literalsOf(expression.left);
      literalsOf(expression.right);
    }
  };

  const visit = (node: ts.Node): void => {
    if (ts.isJsxText(node)) {
      if (WORD.test(node.text)) report(node, node.text);
    } else if (ts.isJsxExpression(node) && node.expression && ts.isJsxElement(node.parent)) {
      literalsOf(node.expression);
    } else if (ts.isJsxExpression(node) && node.expression && ts.isJsxFragment(node.parent)) {
      literalsOf(node.expression);
    } else if (ts.isJsxAttribute(node) && TEXT_ATTRIBUTES.has(node.name.getText(file)) && node.initializer) {
      const value = node.initializer;
      if (ts.isStringLiteral(value)) {
        if (WORD.test(value.text)) report(value, value.text);
      } else if (ts.isJsxExpression(value) && value.expression) {
        literalsOf(value.expression);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return findings;
}

function componentFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) componentFiles(path, out);
    else if (name.endsWith(".tsx")) out.push(path);
  }
  return out;
}

// This file runs from packages/web/lib/i18n/; the sources are in packages/web/src/.
const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

describe("no user-visible text outside the catalogue", () => {
  it("finds JSX text, text attributes and rendered literals (the check itself)", () => {
    const findings = findLiterals(`
      export const A = ({ busy, n }) => (
        <div title="Hello" data-kind="chat">
          Plain words
          <button aria-label={busy ? "Wait" : t("ok")} placeholder={\`Type \${n}\`}>×</button>
          {n > 99 ? "99+" : n}
          {busy ? "Loading…" : null}
          <Dialog title={"Settings"} className="dialog-wide" />
          <img alt="" src="/a.png" />
        </div>
      );`);
    assert.deepEqual(
      findings.map((f) => f.text),
      ["Hello", "Plain words", "Wait", "Type", "Loading…", "Settings"],
    );
  });

  it("every component takes its text from the catalogue", () => {
    const files = componentFiles(SRC);
    assert.ok(files.length > 40, `only ${files.length} components found under ${SRC}`);
    const offences = files.flatMap((path) =>
      findLiterals(readFileSync(path, "utf8"), path).map((f) => `${relative(SRC, path)}:${f.line} ${JSON.stringify(f.text)}`),
    );
    assert.deepEqual(offences, [], `text that bypasses the catalogue (use t("…") from useT()):\n${offences.join("\n")}`);
  });
});
