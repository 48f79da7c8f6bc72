#!/usr/bin/env node
/**
 * `qig`: key and usage management on the configured store (the same environment and config file
 * as the server), whether or not the server is running.
 *
 *   qig keys create --name NAME [--balance 10.00] [--rpm 60] [--max-in-flight 4] [--models a,b] [--expires ISO]
 *   qig keys list | credit KEY_ID AMOUNT | revoke KEY_ID
 *   qig usage [--key KEY_ID] [--model MODEL] [--engine ENGINE] [--from ISO] [--to ISO] [--limit N]
 *   qig worker
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.js';
import { AppError } from './domain/errors.js';
import { PriceList } from './domain/prices.js';
import { systemClock } from './lib/clock.js';
import { silentLogger } from './lib/logger.js';
import { AccountService } from './services/accounts.js';
import { BillingService } from './services/billing.js';
import { KeyService } from './services/keys.js';
import { SqlLedger } from './store/ledger-store.js';
import { openStore } from './store/db.js';
import { SqlKeyStore } from './store/key-store.js';

const USAGE = `qig — qwen-image-gateway administration (uses QIG_DATA_DIR / DATABASE_URL / QIG_CONFIG like the server)

  qig keys create --name NAME [--balance 10.00] [--rpm 60] [--max-in-flight 4] [--models a,b] [--expires 2027-01-01T00:00:00Z]
  qig keys list [--json]
  qig keys credit KEY_ID AMOUNT
  qig keys revoke KEY_ID
  qig usage [--key KEY_ID] [--model MODEL] [--engine ENGINE] [--from ISO] [--to ISO] [--limit N] [--json]
  qig worker      runs a worker node: the server with QIG_ROLE=worker (needs REDIS_URL)
`;

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new AppError('invalid_parameter', `${flag}: must be a positive whole number (got "${value}").`);
  return n;
}

/** A table cell: a dash for nothing, JSON for an object, the text of anything else. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function printTable(rows: Array<Record<string, unknown>>, columns: string[]): void {
  const cells = [columns, ...rows.map((row) => columns.map((c) => cellText(row[c])))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const row of cells) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}\n`);
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      balance: { type: 'string' },
      rpm: { type: 'string' },
      'max-in-flight': { type: 'string' },
      models: { type: 'string' },
      expires: { type: 'string' },
      key: { type: 'string' },
      model: { type: 'string' },
      engine: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, action, ...rest] = positionals;
  if (values.help || group === undefined || group === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (group === 'worker' && action === undefined) {
    // The server's own entry point, as a worker; it handles its signals and exit.
    process.env.QIG_ROLE = 'worker';
    await import('./main.js');
    return;
  }
  const config = loadConfig();
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    const keys = new KeyService(new SqlKeyStore(store.db), systemClock);
    // The CLI moves money and reads usage; it prices nothing, so the config's list serves.
    const prices = new PriceList(config.prices.currency, config.prices.perImage);
    const billing = new BillingService(new SqlLedger(store.db, config.prices.currency), () => prices, systemClock, silentLogger());
    const accounts = new AccountService(keys, billing);
    const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

    if (group === 'keys' && action === 'create') {
      if (!values.name) throw new AppError('invalid_parameter', '--name: is required.');
      const created = await accounts.create({
        name: values.name,
        balance: values.balance,
        rateLimitPerMinute: integer(values.rpm, '--rpm'),
        maxInFlight: integer(values['max-in-flight'], '--max-in-flight'),
        models: values.models ? values.models.split(',').map((m) => m.trim()) : null,
        expiresAt: values.expires ? Date.parse(values.expires) : null,
      });
      print(created);
      process.stderr.write('The key is shown only now; keep it.\n');
    } else if (group === 'keys' && action === 'list') {
      const list = await accounts.list();
      if (values.json) print(list);
      else printTable(list, ['id', 'name', 'prefix', 'balance', 'rateLimitPerMinute', 'maxInFlight', 'revokedAt', 'createdAt']);
    } else if (group === 'keys' && action === 'credit' && rest.length === 2) {
      print(await accounts.credit(rest[0] as string, rest[1] as string));
    } else if (group === 'keys' && action === 'revoke' && rest.length === 1) {
      print(await accounts.revoke(rest[0] as string));
    } else if (group === 'usage') {
      const usage = await billing.usage({
        keyId: values.key,
        model: values.model,
        engine: values.engine,
        from: values.from ? Date.parse(values.from) : undefined,
        to: values.to ? Date.parse(values.to) : undefined,
        limit: integer(values.limit, '--limit') ?? 100,
        offset: 0,
      });
      if (values.json) print(usage);
      else {
        printTable(usage.data, ['createdAt', 'keyId', 'model', 'engine', 'unitPrice', 'content']);
        process.stdout.write(`\n${usage.total} task(s), ${usage.totals.images} image(s), ${usage.totals.amount} ${usage.totals.currency}\n`);
      }
    } else {
      process.stderr.write(USAGE);
      process.exitCode = 2;
    }
  } finally {
    await store.close();
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof AppError || error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`qig: ${message}\n`);
  process.exitCode = error instanceof AppError || error instanceof ConfigError ? 2 : 1;
});
