// Worker thread of the WAL checkpointer (checkpointer.ts): its own connection to the database, checkpointing on
// request so that copying WAL pages into the database file and its fsync never run on the server's event loop.

import { parentPort, workerData } from "node:worker_threads";
import { openDatabase } from "./open-database.js";

export interface CheckpointRequest {
  mode: "PASSIVE" | "TRUNCATE";
}

export interface CheckpointReply {
  /** 1 when a TRUNCATE could not finish (readers or a writer were busy); never for PASSIVE. */
  busy: number;
  /** WAL frames at the time of the checkpoint, and how many of them are now in the database file. */
  log: number;
  checkpointed: number;
  error?: string;
}

const { path, busyTimeoutMs, key } = workerData as { path: string; busyTimeoutMs: number; key?: Uint8Array };
// A Buffer arrives as a plain Uint8Array (structured clone).
const db = openDatabase(path, key ? Buffer.from(key) : undefined);
// A TRUNCATE checkpoint waits (here, off the event loop) for the writer lock instead of failing at once.
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
db.pragma("wal_autocheckpoint = 0");

parentPort!.on("message", (request: CheckpointRequest | "close") => {
  if (request === "close") {
    db.close();
    parentPort!.close();
    return;
  }
  let reply: CheckpointReply;
  try {
    const [row] = db.pragma(`wal_checkpoint(${request.mode})`) as { busy: number; log: number; checkpointed: number }[];
    reply = { busy: row?.busy ?? 0, log: row?.log ?? 0, checkpointed: row?.checkpointed ?? 0 };
  } catch (error) {
    reply = { busy: 1, log: 0, checkpointed: 0, error: String(error) };
  }
  parentPort!.postMessage(reply);
});
