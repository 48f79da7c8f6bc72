// The JSON logger at exit: lines written in order on SIGTERM, process.exit and an uncaught error,
// and the process still exits when its stdout reader has gone (EPIPE), after a burst of lines.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function child(body: string, opts: { closeStdout?: boolean; signalAfterMs?: number } = {}): Promise<{ out: string; err: string; code: number | null; signal: string | null }> {
  const script = `import { createLogger } from './src/lib/logger.ts';\nconst log = createLogger('info');\nprocess.stdout.isTTY;\n${body}`;
  const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  if (opts.closeStdout) c.stdout.destroy(); else c.stdout.on('data', (d: Buffer) => out.push(d));
  c.stderr.on('data', (d: Buffer) => err.push(d));
  if (opts.signalAfterMs !== undefined) setTimeout(() => c.kill('SIGTERM'), opts.signalAfterMs);
  return new Promise((resolve) => c.on('close', (code, signal) => resolve({ out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString(), code, signal })));
}

function lines(out: string): Array<{ i?: number; msg: string }> {
  return out.trimEnd().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { i?: number; msg: string });
}

describe('logger on the ways a process ends', () => {
  it('SIGTERM handled as main.ts does: every line, in order, the shutdown lines last', async () => {
    const r = await child(`
      // At most 80,000 lines of about 130 bytes (10 MB): past a 16 MiB backlog the logger drops
      // lines by design (logger.ts), which a slow reader on a loaded machine would otherwise reach.
      let i = 0;
      const t = setInterval(() => { for (let j = 0; j < 60 && i < 80000; j++) log.info({ i: i++, pad: 'x'.repeat(60) }, 'request'); }, 1);
      process.on('SIGTERM', () => {
        clearInterval(t);
        log.info({ i: i++ }, 'shutting down');
        setTimeout(() => { log.info({ i: i++ }, 'closed'); process.exit(0); }, 20);
      });
      process.stderr.write('ready\\n');
    `, { signalAfterMs: 1500 });
    assert.equal(r.code, 0, r.err);
    const ls = lines(r.out);
    ls.forEach((l, k) => assert.equal(l.i, k));
    assert.equal(ls.at(-1)?.msg, 'closed');
    assert.equal(ls.at(-2)?.msg, 'shutting down');
  });

  it('an unhandled promise rejection: the lines of the last turn are written', async () => {
    const r = await child(`
      setTimeout(() => { for (let i = 0; i < 3000; i++) log.info({ i }, 'request'); Promise.reject(new Error('boom')); }, 10);
    `);
    assert.notEqual(r.code, 0);
    assert.equal(lines(r.out).length, 3000);
  });

  // The reader of stdout has gone (a log forwarder died); the burst's first write has not yet
  // come back with EPIPE when the process ends, so pino's exit handler calls SonicBoom.flushSync,
  // which retries EPIPE forever. Before c956273 the burst's write started in the burst's own turn
  // and its EPIPE was seen (and SonicBoom muted by pino) before these endings; now it starts one
  // phase later (setImmediate) and the process never exits. On c956273^ all three exit.
  const endings: Record<string, string> = {
    'process.exit from a timer 5 ms after a burst': "setTimeout(() => process.exit(0), 5);",
    'process.exit in the next setImmediate after a burst': "setImmediate(() => process.exit(0));",
    'an uncaught exception right after a burst': "setImmediate(() => { throw new Error('boom'); });",
  };
  for (const [name, end] of Object.entries(endings)) {
    it(`stdout closed by its reader (EPIPE), ${name}: the process exits (does not hang)`, async () => {
      const r = await child(`
        setTimeout(() => { for (let i = 0; i < 20000; i++) log.info({ i, pad: 'x'.repeat(100) }, 'request'); ${end} }, 300);
      `, { closeStdout: true });
      assert.notEqual(r.signal, 'SIGTERM', 'the child was still running after 10 s and was killed (hung in its exit handlers)');
    });
  }

  it('a line logged inside the same turn as process.exit from elsewhere is written', async () => {
    const r = await child(`setTimeout(() => { log.info({ i: 0 }, 'a'); log.error({ i: 1 }, 'fatal'); process.exit(3); }, 10);`);
    assert.equal(r.code, 3);
    // Both written (an error line may come first: it is written at once, an info line on the next write).
    assert.deepEqual(lines(r.out).map((l) => l.msg).sort(), ['a', 'fatal']);
  });
});
