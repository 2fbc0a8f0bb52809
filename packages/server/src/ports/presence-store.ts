// The presence port: which users have a connected device right now, across every node.

export interface PresenceStore {
  /** Records a connected device; returns true when this made the user online (no other device was connected). */
  connect(userId: string, connectionId: string): Promise<boolean>;
  /** Removes a device; returns true when the user has no connected device left. */
  disconnect(userId: string, connectionId: string): Promise<boolean>;
  /**
   * Keeps this node's devices alive (cluster adapters expire devices of nodes that stop calling it) and records any
   * that were lost. Returns the users who had no live device before this call (their entries had expired or the
   * engine lost them): they are online again and may be announced.
   */
  heartbeat(connections: readonly { userId: string; connectionId: string }[]): Promise<string[]>;
  /** The subset of userIds with at least one connected device. */
  online(userIds: readonly string[]): Promise<Set<string>>;
  /**
   * Users whose every device expired without a disconnect (their node died or lost the engine), at most `limit`.
   * Each such user is handed to exactly one caller across the deployment, which announces them offline.
   */
  expired(limit: number): Promise<string[]>;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
