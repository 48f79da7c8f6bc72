/**
 * Cancel with fal's semantics, shared with SeaArt (protocols.md §3.5): a queued request is
 * removed, a running one is asked to stop (the runner aborts the engine call where the engine
 * can stop); 202 CANCELLATION_REQUESTED, 400 ALREADY_COMPLETED, 404 NOT_FOUND.
 */
import type { RequestNotes } from '../../lib/request-notes.js';
import type { Principal } from '../../services/keys.js';
import type { DialectContext } from '../context.js';

export type CancelAnswer =
  | { status: 202; body: { status: 'CANCELLATION_REQUESTED' } }
  | { status: 400; body: { status: 'ALREADY_COMPLETED' } }
  | { status: 404; body: { status: 'NOT_FOUND' } };

export async function cancelRequest(context: DialectContext, principal: Principal, taskId: string, notes: RequestNotes | null): Promise<CancelAnswer> {
  // `running` comes back only when the task changed state under us (requeued by the sweeper): ask again.
  for (let tries = 0; ; tries += 1) {
    const { outcome } = await context.tasks.cancel(principal, taskId, { running: true, notes });
    if (outcome === 'not-found') return { status: 404, body: { status: 'NOT_FOUND' } };
    if (outcome === 'already-finished') return { status: 400, body: { status: 'ALREADY_COMPLETED' } };
    if (outcome !== 'running' || tries >= 2) return { status: 202, body: { status: 'CANCELLATION_REQUESTED' } };
  }
}
