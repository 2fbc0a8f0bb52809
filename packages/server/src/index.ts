// Public surface of @parley/server for embedding and tests.
export { type Adapters, type ParleyServer, startParley } from "./app.js";
export { CONFIG_VARS, type Config, ConfigError, loadConfig } from "./config/index.js";
