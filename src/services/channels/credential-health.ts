/**
 * Credentials out of rotation and back (decision 0011): an account error disables a credential on
 * every node (the channel engine already stopped using it here); a disabled credential is re-tested
 * when due by one node — the one whose save of its next test time wins — and comes back when the
 * test passes, or waits twice as long after a failed one. Coming back by a re-test does not wipe
 * the slate: disabled again within the hour, it waits longer still.
 */
import type { Catalog, CatalogContent, CredentialDisable, CredentialRecord, LastDisable } from '../../domain/channels.js';
import { findModel, listModels, type ModelSpec } from '../../domain/models.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { nextTestDelayMs } from './account-errors.js';
import type { AccountFailure } from './channel-engine.js';
import type { CatalogSync } from './catalog-sync.js';
import type { LiveChannels } from './live-channels.js';
import { redactCredential } from './records.js';

const RETEST_TIMEOUT_MS = 120_000;

/** The catalog with one credential changed by `update`, with its audit; null when it is gone or `update` declines. */
function changeCredential(current: Catalog, channelName: string, id: string, actor: string, action: string, update: (credential: CredentialRecord) => CredentialRecord | null) {
  const channel = current.channels.find((c) => c.name === channelName);
  const before = channel?.credentials.find((c) => c.id === id);
  if (!channel || !before) return null;
  const after = update(before);
  if (after === null) return null;
  const content: CatalogContent = {
    ...current,
    channels: current.channels.map((c) => (c.name === channelName ? { ...c, credentials: c.credentials.map((x) => (x.id === id ? after : x)) } : c)),
  };
  return { content, audit: [{ actor, action, subject: `credential:${channelName}/${id}`, before: redactCredential(before), after: redactCredential(after) }] };
}

/** How long after a re-test brought a credential back a new automatic disable continues its strikes. */
export const STRIKE_MEMORY_MS = 3_600_000;

/**
 * The strikes of a new automatic disable: one more than the last when a re-test ended that one
 * within the hour (the query re-test passes an account in arrears, its next real call fails again),
 * else 1.
 */
export function strikesAfter(last: LastDisable | null, now: number): number {
  return last !== null && now - last.endedAt <= STRIKE_MEMORY_MS ? last.strikes + 1 : 1;
}

export class CredentialHealth {
  private timer: NodeJS.Timeout | null = null;
  private testing = new Set<string>();

  constructor(
    private readonly sync: CatalogSync,
    private readonly live: LiveChannels,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** An account error on a call: the credential leaves rotation everywhere (once; a disabled one stays as it is). */
  disable(channel: string, id: string, failure: AccountFailure): void {
    const now = this.clock.now();
    this.sync
      .change((current) =>
        changeCredential(current, channel, id, 'auto-disable', 'credential.disable', (credential) => {
          if (!credential.enabled) return null;
          // Already out: only an account-wide failure widens a disable that held for one model.
          if (credential.disabled !== null && !(credential.disabled.kind === 'model_not_open' && failure.kind !== 'model_not_open')) return null;
          const strikes = strikesAfter(credential.lastDisable ?? null, now);
          const disabled: CredentialDisable = { ...failure, at: now, nextTestAt: now + nextTestDelayMs(strikes), strikes };
          return { ...credential, disabled, lastDisable: null, updatedAt: now };
        }),
      )
      .then(() => this.logger.warn({ channel, credential: id, code: failure.code }, `channel ${channel}: credential ${id} disabled: ${failure.code} ${failure.reason}`))
      .catch((error: unknown) => this.logger.error({ err: error, channel, credential: id }, 'recording a disabled credential failed'));
  }

  /** Re-tests due credentials every `intervalMs` (nodes that run tasks). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.retestDue(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Claims and runs every re-test that is due; resolves when they are done. */
  async retestDue(): Promise<void> {
    const now = this.clock.now();
    const due = this.live.catalog.channels.flatMap((channel) =>
      channel.credentials.filter((c) => c.enabled && c.disabled !== null && c.disabled.nextTestAt <= now).map((c) => ({ channel: channel.name, id: c.id, mode: channel.test })),
    );
    await Promise.all(due.map((item) => this.retest(item.channel, item.id, item.mode)));
  }

  private async retest(channel: string, id: string, mode: 'query' | 'task'): Promise<void> {
    const key = `${channel}/${id}`;
    if (this.testing.has(key)) return;
    this.testing.add(key);
    try {
      const claimedAt = this.clock.now();
      let claimed: CredentialDisable | null = null;
      // The claim: moving the next test time on; a node that loses the race saves nothing.
      await this.sync.change((current) =>
        changeCredential(current, channel, id, 're-test', 'credential.retest', (credential) => {
          if (!credential.disabled || credential.disabled.nextTestAt > claimedAt) return null;
          claimed = credential.disabled;
          return { ...credential, disabled: { ...credential.disabled, nextTestAt: claimedAt + nextTestDelayMs(credential.disabled.strikes + 1) } };
        }),
      );
      const disabled = claimed as CredentialDisable | null;
      if (disabled === null) return;
      const running = this.live.router.get(channel);
      if (!running) return;
      const model = this.modelFor(disabled, running.capabilities.models);
      const result = await running.test(id, mode, model, AbortSignal.timeout(RETEST_TIMEOUT_MS));
      const now = this.clock.now();
      if (result.ok) {
        await this.sync.change((current) =>
          changeCredential(current, channel, id, 're-test', 'credential.enable', (credential) =>
            credential.disabled ? { ...credential, disabled: null, lastDisable: { strikes: credential.disabled.strikes, endedAt: now }, updatedAt: now } : null,
          ),
        );
        this.logger.info({ channel, credential: id }, `channel ${channel}: credential ${id} passed its re-test and is back in rotation`);
        return;
      }
      const { failure } = result;
      await this.sync.change((current) =>
        changeCredential(current, channel, id, 're-test', 'credential.retest-failed', (credential) => {
          if (!credential.disabled) return null;
          const strikes = credential.disabled.strikes + 1;
          return {
            ...credential,
            disabled: { ...credential.disabled, ...(failure ? { kind: failure.kind, code: failure.code, reason: failure.reason } : {}), strikes, nextTestAt: now + nextTestDelayMs(strikes) },
            updatedAt: now,
          };
        }),
      );
    } catch (error) {
      this.logger.warn({ err: error, channel, credential: id }, `channel ${channel}: re-testing credential ${id} failed`);
    } finally {
      this.testing.delete(key);
    }
  }

  /** The model that failed, if the channel still serves it; else a generation model it serves. */
  private modelFor(disabled: CredentialDisable, models: readonly string[] | '*'): ModelSpec {
    const serves = (m: ModelSpec) => models === '*' || models.includes(m.id) || models.includes(m.family);
    const failed = disabled.model === null ? undefined : findModel(disabled.model);
    if (failed && serves(failed)) return failed;
    const all = listModels().filter(serves);
    return all.find((m) => m.generate && !m.edit) ?? all[0] ?? (listModels()[0] as ModelSpec);
  }
}
