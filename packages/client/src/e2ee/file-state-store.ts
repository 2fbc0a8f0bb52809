// The Node MlsStateStore: one file per record in a directory of its own, written to a temporary file, fsynced and
// renamed, so a crash leaves either the old state or the new one, never a torn one.

import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { MlsStateStore } from "./mls-state-store.js";

export class FileMlsStateStore implements MlsStateStore {
  #ready: Promise<unknown> | undefined;

  /** `dir` holds this device's secrets: keep it private to the user (it is created with mode 0700). */
  constructor(private readonly dir: string) {}

  #file(key: string): string {
    return join(this.dir, `${encodeURIComponent(key)}.bin`);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.#file(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.#ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.#ready;
    const file = this.#file(key);
    const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const handle = await open(temporary, "w", 0o600);
    try {
      await handle.writeFile(value);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  }

  async delete(key: string): Promise<void> {
    await rm(this.#file(key), { force: true });
  }

  async keys(prefix: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return names
      .filter((n) => n.endsWith(".bin"))
      .map((n) => decodeURIComponent(n.slice(0, -4)))
      .filter((k) => k.startsWith(prefix));
  }
}
