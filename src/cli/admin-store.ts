/** The store the admin commands work on: the server's own configuration (environment and config file). */
import { loadConfig } from '../config/load.js';
import { PriceList } from '../domain/prices.js';
import { systemClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { AccountService } from '../services/accounts.js';
import { BillingService } from '../services/billing.js';
import { KeyService } from '../services/keys.js';
import { SqlLedger } from '../store/ledger-store.js';
import { openStore } from '../store/db.js';
import { SqlKeyStore } from '../store/key-store.js';
import { SqlGroupStore, SqlUserStore } from '../store/user-store.js';
import { UserService } from '../services/users.js';

export interface Admin {
  accounts: AccountService;
  billing: BillingService;
  close(): Promise<void>;
}

export async function openAdmin(): Promise<Admin> {
  const config = loadConfig();
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  const keys = new KeyService(new SqlKeyStore(store.db), systemClock);
  // The CLI moves money and reads usage; it prices nothing, so the config's list serves.
  const prices = new PriceList(config.prices.currency, config.prices.perImage);
  const billing = new BillingService(new SqlLedger(store.db, config.prices.currency), () => prices, systemClock, silentLogger());
  const users = new UserService({ users: new SqlUserStore(store.db), groups: new SqlGroupStore(store.db), keys, billing, clock: systemClock });
  return { accounts: new AccountService(keys, billing, users), billing, close: () => store.close() };
}
