// Public surface of @parley/protocol.
export * from "./admin.js";
export * from "./close-codes.js";
export * from "./errors.js";
export * from "./formatting.js";
export * from "./frames.js";
export * from "./mentions.js";
export * from "./model.js";
export * from "./names.js";
export * from "./operations.js";
export * from "./push.js";
export * from "./search.js";
export * from "./version.js";
