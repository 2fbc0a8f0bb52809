// The presence port: which users have a connected device right now, across every node.

export interface PresenceStore {
  /** Records a connected device; returns true when this made the user online (no other device was connected). */
  connect(userId: string, connectionId: string): Promise<boolean>;
  /** Removes a device; returns true when the user has no connected device left. */
  disconnect(userId: string, connectionId: string): Promise<boolean>;
  /** Keeps this node's devices alive (cluster adapters expire devices of nodes that stop calling it). */
  heartbeat(connections: readonly { userId: string; connectionId: string }[]): Promise<void>;
  /** The subset of userIds with at least one connected device. */
  online(userIds: readonly string[]): Promise<Set<string>>;
  close(): Promise<void>;
}
