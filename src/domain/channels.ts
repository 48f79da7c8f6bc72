/**
 * Channels: the upstream accounts a reseller pools behind one engine, the routes that spread a
 * model's traffic over channels by priority and weight, and the prices — the catalog, kept in the
 * database and managed at runtime (the config file seeds it). A channel is what the config file
 * calls an engine: its name is the engine name that prices, usage and metrics already use.
 */

/** A channel's name (the config file's engine name): the config schema and the catalog's rules check it alike. */
export const CHANNEL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const CHANNEL_NAME_RULE = 'channel names use 1–64 letters, digits, - and _';

/** Why a credential was taken out of rotation automatically (see services/channels). */
export type DisableKind = 'auth' | 'arrears' | 'model_not_open';

export interface CredentialDisable {
  kind: DisableKind;
  /** The upstream's error code (InvalidApiKey, Arrearage, Model.AccessDenied, …) or the HTTP status. */
  code: string;
  /** The upstream's message, clipped; shown in the console and /readyz. */
  reason: string;
  /** The model of the call that failed. */
  model: string | null;
  at: number;
  /** When a re-test is due (epoch ms). */
  nextTestAt: number;
  /** Automatic disables in a row without a successful call between: the re-test backoff's step. */
  strikes: number;
}

/** An automatic disable a re-test ended: its strikes, and when. */
export interface LastDisable {
  strikes: number;
  endedAt: number;
}

/** Where a credential's secret lives. */
export type SecretRef =
  /** In the config file, at this path (e.g. `engines.cloud.credentials.1.apiKey`): never copied to the database. */
  | { source: 'config'; path: string }
  /** Entered through the admin API: encrypted with QIG_SECRET_KEY (lib/secret-box). */
  | { source: 'stored'; ciphertext: string };

export interface CredentialRecord {
  /** `cr_…` for credentials added at runtime; `<channel>~<first 8 hex of the key's sha256>` for the config file's. */
  id: string;
  label: string;
  /** The last 4 characters of the secret: all the API and console ever show of it. */
  last4: string;
  secret: SecretRef;
  /** DashScope's region of this account, when it differs from the channel's. */
  region: 'beijing' | 'singapore' | null;
  /** Calls started per second through this credential from one node; null: no limit. */
  qps: number | null;
  /** Calls in flight at once through this credential from one node; null: the channel's maxConcurrent. */
  maxConcurrent: number | null;
  /** Share of the channel's traffic among its usable credentials (1–1000). */
  weight: number;
  /** Upstream cost of one image by model id, family or "*", overriding the channel's; null: the channel's. */
  cost: Readonly<Record<string, string>> | null;
  /** The operator's switch. */
  enabled: boolean;
  /** Set while automatically disabled. */
  disabled: CredentialDisable | null;
  /**
   * The last automatic disable a re-test ended: a new one soon after continues its strikes, so an
   * account that passes the query re-test but fails real calls (arrears) waits longer each time.
   * Cleared by the operator's re-enable. Absent: none (as null).
   */
  lastDisable?: LastDisable | null;
  createdAt: number;
  updatedAt: number;
}

export interface ChannelRecord {
  name: string;
  /**
   * The engine's options exactly as the config file's `engines.<name>` takes them, without
   * `apiKey` and `credentials` (the credentials below hold the secrets); validated by the same schema.
   */
  engine: Readonly<Record<string, unknown>>;
  enabled: boolean;
  /** Upstream cost of one image by model id, family or "*" (what the upstream bills us). */
  cost: Readonly<Record<string, string>>;
  /** How a disabled credential is re-tested: a cheap authenticated query, or a real small task (billed upstream). */
  test: 'query' | 'task';
  /** Empty for engines that take no key (local, ComfyUI) or a keyless upstream. */
  credentials: CredentialRecord[];
  createdAt: number;
  updatedAt: number;
}

/** One channel in a model's route: the highest priority with a usable channel takes the traffic, spread by weight. */
export interface RouteEntry {
  channel: string;
  priority: number;
  weight: number;
}

export interface PriceSettings {
  /** By model id, family or "*". */
  perImage: Readonly<Record<string, string>>;
  /** Channel (engine) name → model id, family or "*" → price. */
  perEngine: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** What the catalog holds. */
export interface CatalogContent {
  channels: ChannelRecord[];
  /** Model id, family or "*" → channels. */
  routes: Readonly<Record<string, readonly RouteEntry[]>>;
  prices: PriceSettings;
  /**
   * The config file's items as last applied: item key (`channel:cloud`, `route:*`, `prices`) →
   * hash of its config text. An item is applied again only when its config text changes, so a
   * change made at runtime lasts until the config file's own entry changes (decision 0011).
   */
  seeds: Readonly<Record<string, string>>;
}

export interface Catalog extends CatalogContent {
  /** Bumped by every save; 0 before the first. */
  version: number;
}

/** One audited change. Secrets appear as their last 4 characters only. */
export interface AuditDraft {
  /** `admin` (with the client's address), `config file`, or `auto-disable`/`re-test`. */
  actor: string;
  /** e.g. `channel.create`, `credential.disable`, `route.set`, `prices.set`, `seed.apply`. */
  action: string;
  /** What changed, e.g. `channel:cloud`, `credential:cloud/cr_x1`, `route:qwen-image-edit-plus`. */
  subject: string;
  before: unknown;
  after: unknown;
}

export interface AuditEntry extends AuditDraft {
  id: number;
  at: number;
}
