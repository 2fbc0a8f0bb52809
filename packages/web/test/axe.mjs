// axe-core in Chromium for the browser tests: the serious and critical findings of the page as it is, in both themes.
// The page's context needs `bypassCSP: true`: axe is injected as a script, which the app's Content-Security-Policy
// would refuse.

import { createRequire } from "node:module";

const AXE_PATH = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const THEMES = ["light", "dark"];

/** The serious and critical axe findings on the page as it is now, one line each. */
export async function seriousFindings(page) {
  await page.addScriptTag({ path: AXE_PATH });
  // Transitions would let axe measure colours halfway.
  await page.addStyleTag({ content: "*, *::before, *::after { transition: none !important; animation: none !important; }" });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1).join(" ").trim()}`),
    }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((node) => `${v.id} (${v.impact}) ${node}`));
}

/** axe's serious and critical findings in the light and the dark theme, each prefixed with `screen`. */
export async function checkThemes(page, screen) {
  const problems = [];
  for (const colorScheme of THEMES) {
    await page.emulateMedia({ colorScheme });
    await page.waitForTimeout(50);
    for (const finding of await seriousFindings(page)) problems.push(`${screen}, ${colorScheme}: ${finding}`);
  }
  await page.emulateMedia({ colorScheme: "light" });
  return problems;
}
