import { sql } from 'kysely';
import type { DatabaseHandle } from './database.ts';

export interface ReplicaWatch {
  /** Whether the replica answered its last check. */
  healthy(): boolean;
  stop(): void;
}

/**
 * Checks the read replica every interval. While it does not answer, anonymous reads go to the primary:
 * losing a replica costs capacity, not the public site.
 */
export function watchReplica(
  replica: DatabaseHandle,
  options: { intervalMs: number; onChange?: (healthy: boolean) => void },
): ReplicaWatch {
  let healthy = true;
  let checking = false;
  const check = async () => {
    if (checking) return;
    checking = true;
    let answered = true;
    try {
      await sql`select 1`.execute(replica.db);
    } catch {
      answered = false;
    } finally {
      checking = false;
    }
    if (answered !== healthy) {
      healthy = answered;
      options.onChange?.(healthy);
    }
  };
  const timer = setInterval(() => void check(), options.intervalMs);
  timer.unref();
  return { healthy: () => healthy, stop: () => clearInterval(timer) };
}
