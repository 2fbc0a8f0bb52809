// Public surface of @parley/conformance: run the suite programmatically and inspect its cases and coverage.
export type { Case, Covers } from "./case.js";
export type { CaseResult, CaseStatus, ConformanceOptions } from "./context.js";
export { EICAR_TEST_FILE } from "./eicar.js";
export { CASES, NOT_PROVOKABLE_CLOSES, NOT_PROVOKABLE_ERRORS, PENDING_SERVER_FIXES, uncovered } from "./registry.js";
export { type ConformanceReport, runConformance } from "./runner.js";
