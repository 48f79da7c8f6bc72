/**
 * Opens the SQL store (SQLite in the data directory, or Postgres) and makes the implementation of
 * each of the store's ports over it.
 */
import type { AppConfig } from '../config/load.js';
import type { Logger } from '../lib/logger.js';
import { SqlBlobRetentionStore } from '../store/blob-retention-store.js';
import { SqlChannelStore } from '../store/channel-store.js';
import { openStore, type SqlStore } from '../store/db.js';
import { SqlDeliveryStore } from '../store/delivery-store.js';
import { SqlIdempotencyStore } from '../store/idempotency-store.js';
import { SqlKeyStore } from '../store/key-store.js';
import { SqlLedger } from '../store/ledger-store.js';
import { SqlQueueRequestStore } from '../store/queue-request-store.js';
import { SqlSettingsStore } from '../store/settings-store.js';
import { SqlTaskStore } from '../store/task-store.js';
import { SqlRedemptionStore } from '../store/redemption-store.js';
import { SqlGroupStore, SqlUserStore } from '../store/user-store.js';

export interface Stores {
  sql: SqlStore;
  tasks: SqlTaskStore;
  ledger: SqlLedger;
  keys: SqlKeyStore;
  users: SqlUserStore;
  groups: SqlGroupStore;
  redemptions: SqlRedemptionStore;
  settings: SqlSettingsStore;
  idempotency: SqlIdempotencyStore;
  blobRetention: SqlBlobRetentionStore;
  queueRequests: SqlQueueRequestStore;
  deliveries: SqlDeliveryStore;
  channels: SqlChannelStore;
}

export async function openStores(config: AppConfig, logger: Logger): Promise<Stores> {
  const sql = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.limits.databasePoolSize,
    backgroundCheckpoints: {
      intervalMs: 250,
      onFailure: (error) => logger.warn({ err: error }, 'the SQLite checkpoint thread failed; commits checkpoint the WAL again'),
    },
    // The message only: pg's error carries its whole client object.
    onConnectionError: (error) => logger.warn({ error: error.message }, 'a Postgres connection failed; the pool opens another'),
  });
  const { db } = sql;
  const currency = config.prices.currency;
  return {
    sql,
    tasks: new SqlTaskStore(db, { currency, dialect: sql.dialect, onLogError: (error) => logger.warn({ err: error }, 'task log lines could not be written') }),
    ledger: new SqlLedger(db, currency),
    keys: new SqlKeyStore(db),
    users: new SqlUserStore(db),
    groups: new SqlGroupStore(db),
    redemptions: new SqlRedemptionStore(db),
    settings: new SqlSettingsStore(db),
    idempotency: new SqlIdempotencyStore(db),
    blobRetention: new SqlBlobRetentionStore(db),
    queueRequests: new SqlQueueRequestStore(db),
    deliveries: new SqlDeliveryStore(db),
    channels: new SqlChannelStore(db),
  };
}
