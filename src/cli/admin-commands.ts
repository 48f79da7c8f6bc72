/**
 * `qig keys …`, `qig usage` and `qig worker`: administration on the configured store (the same
 * environment and config file as the server), whether or not the server is running.
 */
import type { Command } from 'commander';
import { AppError } from '../domain/errors.js';
import type { Admin } from './admin-store.js';
import { wholeNumber } from './options.js';
import { printJson, printTable } from './output.js';

/** The store and its services are loaded only for these commands: the API commands never need them. */
async function withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
  const { openAdmin } = await import('./admin-store.js');
  const admin = await openAdmin();
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

function time(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AppError('invalid_parameter', `${flag}: must be an ISO date such as 2027-01-01T00:00:00Z (got "${value}").`);
  return ms;
}

interface CreateFlags {
  name: string;
  balance?: string;
  rpm?: number;
  maxInFlight?: number;
  models?: string;
  expires?: string;
  user?: string;
}

interface UsageFlags {
  key?: string;
  model?: string;
  engine?: string;
  from?: string;
  to?: string;
  limit: number;
  json?: boolean;
}

export function registerAdminCommands(program: Command): void {
  const keys = program.command('keys').description('API keys on this server\'s store (QIG_DATA_DIR / DATABASE_URL / QIG_CONFIG)');

  keys
    .command('create')
    .description('create a key; its secret is shown only now')
    .requiredOption('--name <name>', 'who or what the key is for')
    .option('--balance <amount>', 'opening balance, e.g. 10.00 (none: unlimited)')
    .option('--rpm <n>', 'requests per minute', wholeNumber(1))
    .option('--max-in-flight <n>', 'tasks at once', wholeNumber(1))
    .option('--models <a,b>', 'models the key may use (default all)')
    .option('--expires <iso>', 'when the key stops working, e.g. 2027-01-01T00:00:00Z')
    .option('--user <userId>', 'add the key to this user (it draws on the user\'s balance; no --balance then); default: a user of its own')
    .action(async (flags: CreateFlags) => {
      const created = await withAdmin(({ accounts }) =>
        accounts.create({
          name: flags.name,
          balance: flags.balance,
          rateLimitPerMinute: flags.rpm,
          maxInFlight: flags.maxInFlight,
          models: flags.models ? flags.models.split(',').map((m) => m.trim()) : null,
          expiresAt: time(flags.expires, '--expires') ?? null,
          ...(flags.user === undefined ? {} : { userId: flags.user }),
        }),
      );
      printJson(created);
      process.stderr.write('The key is shown only now; keep it.\n');
    });

  keys
    .command('list')
    .description('every key (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const list = await withAdmin(({ accounts }) => accounts.list());
      if (flags.json) printJson(list);
      else printTable(list, ['id', 'name', 'prefix', 'userId', 'balance', 'rateLimitPerMinute', 'maxInFlight', 'revokedAt', 'createdAt']);
    });

  keys
    .command('credit')
    .description('add to a key\'s balance')
    .argument('<keyId>')
    .argument('<amount>', 'a positive decimal amount, e.g. 5.00')
    .action(async (keyId: string, amount: string) => printJson(await withAdmin(({ accounts }) => accounts.credit(keyId, amount))));

  keys
    .command('revoke')
    .description('stop a key working, at once')
    .argument('<keyId>')
    .action(async (keyId: string) => printJson(await withAdmin(({ accounts }) => accounts.revoke(keyId))));

  program
    .command('usage')
    .description('tasks billed, filtered (all keys; on the store)')
    .option('--key <keyId>', 'one key\'s usage (a key id, not the secret)')
    .option('--model <id>', 'one model')
    .option('--engine <name>', 'one engine')
    .option('--from <iso>', 'from this time')
    .option('--to <iso>', 'until this time')
    .option('--limit <n>', 'rows', wholeNumber(1), 100)
    .option('--json', 'print JSON')
    .action(async (flags: UsageFlags) => {
      const usage = await withAdmin(({ billing }) =>
        billing.usage({
          keyId: flags.key,
          model: flags.model,
          engine: flags.engine,
          from: time(flags.from, '--from'),
          to: time(flags.to, '--to'),
          limit: flags.limit,
          offset: 0,
        }),
      );
      if (flags.json) return printJson(usage);
      printTable(usage.data, ['createdAt', 'keyId', 'model', 'engine', 'unitPrice', 'content']);
      process.stdout.write(`\n${usage.total} task(s), ${usage.totals.images} image(s), ${usage.totals.amount} ${usage.totals.currency}\n`);
    });

  program
    .command('worker')
    .description('run a worker node: the server with QIG_ROLE=worker (needs REDIS_URL)')
    .action(async () => {
      // The server's own entry point, as a worker; it handles its signals and exit.
      process.env.QIG_ROLE = 'worker';
      await import('../main.js');
    });
}
