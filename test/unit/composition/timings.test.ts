/** The worker's timings come from the config's limits (tests override single ones). */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { workerTimings } from '../../../src/composition/timings.js';
import { loadConfig } from '../../../src/config/load.js';
import { tempDir } from '../../helpers/stores.js';

describe('worker timings', () => {
  it('follow limits: the lease sets the sweep, the retry policy and task timeout are the configured ones', () => {
    const dir = tempDir('qig-timings-');
    try {
      const path = `${dir.path}/config.json`;
      const limits = { leaseSeconds: 12, taskTimeoutSeconds: 90, attemptsPerEngine: 5, retryFirstDelaySeconds: 0.5, retryMaxDelaySeconds: 8 };
      writeFileSync(path, JSON.stringify({ limits }));
      const timings = workerTimings(loadConfig({ QIG_CONFIG: path }, dir.path).limits, { endingCheckMs: 50 });
      assert.deepEqual(
        { lease: timings.leaseMs, sweep: timings.sweepIntervalMs, grace: timings.sweepGraceMs, timeout: timings.taskTimeoutMs, attempts: timings.attemptsPerEngine, first: timings.retryBaseDelayMs, max: timings.retryMaxDelayMs, endingCheck: timings.endingCheckMs },
        { lease: 12_000, sweep: 4_000, grace: 2_000, timeout: 90_000, attempts: 5, first: 500, max: 8_000, endingCheck: 50 },
      );
    } finally {
      dir.remove();
    }
  });
});
