/**
 * What the catalog service offers the admin API and console: views of channels (secrets as their
 * last 4 characters only), with this node's health figures, and the changes an operator makes.
 * Amounts are decimal strings, times ISO 8601.
 */
import type { AuditEntry, DisableKind, PriceSettings, RouteEntry } from '../../domain/channels.js';

export interface CredentialHealthView {
  /** The circuit of this credential on this node. */
  state: 'closed' | 'open' | 'half-open';
  inFlight: number;
  waiting: number;
  /** Calls and failed calls over the last 5 minutes on this node. */
  calls: number;
  errors: number;
  /** errors / calls, 0 when no calls. */
  errorRate: number;
  lastError: string | null;
  /** Milliseconds of the last call that answered. */
  lastLatencyMs: number | null;
}

export interface CredentialView {
  id: string;
  label: string;
  /** e.g. "…a1b2". */
  key: string;
  source: 'config' | 'stored';
  region: 'beijing' | 'singapore' | null;
  qps: number | null;
  maxConcurrent: number | null;
  weight: number;
  cost: Record<string, string> | null;
  enabled: boolean;
  /** While automatically disabled: why, and when it is re-tested. */
  disabled: { kind: DisableKind; code: string; reason: string; model: string | null; at: string; nextTestAt: string; strikes: number } | null;
  /** enabled and not disabled. */
  usable: boolean;
  /** This node's live figures (in scale-out, the worker nodes make the calls: see `recent`). */
  health: CredentialHealthView;
  /** Tasks and images it made in the last 24 hours on every node, from the usage records. */
  recent: { tasks: number; images: number };
  createdAt: string;
  updatedAt: string;
}

export interface ChannelView {
  name: string;
  type: string;
  /** The engine's options without secrets, as `engines.<name>` takes them. */
  engine: Record<string, unknown>;
  enabled: boolean;
  cost: Record<string, string>;
  test: 'query' | 'task';
  /** Models it serves ("*": every model its type can). */
  models: string[] | '*';
  /** Whether a call could be placed now: enabled with a usable credential (or keyless). */
  usable: boolean;
  /** Sums over its credentials on this node. */
  health: CredentialHealthView;
  credentials: CredentialView[];
  /** Routes naming it. */
  routes: string[];
  createdAt: string;
  updatedAt: string;
}

export interface CatalogView {
  version: number;
  currency: string;
  channels: ChannelView[];
  routes: Record<string, RouteEntry[]>;
  prices: PriceSettings;
}

export interface ChannelInput {
  name: string;
  /** The engine's options as `engines.<name>` takes them (type required), without apiKey/credentials. */
  engine: Record<string, unknown>;
  enabled?: boolean | undefined;
  cost?: Record<string, string> | undefined;
  test?: 'query' | 'task' | undefined;
  credentials?: CredentialInput[] | undefined;
}

export interface ChannelPatch {
  engine?: Record<string, unknown> | undefined;
  enabled?: boolean | undefined;
  cost?: Record<string, string> | undefined;
  test?: 'query' | 'task' | undefined;
}

export interface CredentialInput {
  apiKey: string;
  label?: string | undefined;
  region?: 'beijing' | 'singapore' | null | undefined;
  qps?: number | null | undefined;
  maxConcurrent?: number | null | undefined;
  weight?: number | undefined;
  cost?: Record<string, string> | null | undefined;
  enabled?: boolean | undefined;
}

/** `enabled: true` also clears an automatic disable (the operator's re-enable). */
export type CredentialPatch = Partial<CredentialInput>;

export interface ChannelTestResult {
  ok: boolean;
  channel: string;
  credential: string | null;
  model: string;
  mode: 'query' | 'task';
  latencyMs: number;
  /** What the upstream answered: images made (count, first URL when it gave one) or its error. */
  answer: { images: number; firstImage: string | null; warnings: string[] } | null;
  error: { code: string; message: string } | null;
}

/** Who made a change, for the audit log. */
export type Actor = string;

export interface CatalogAdmin {
  view(): Promise<CatalogView>;
  createChannel(input: ChannelInput, actor: Actor): Promise<ChannelView>;
  updateChannel(name: string, patch: ChannelPatch, actor: Actor): Promise<ChannelView>;
  /** Refused (409) while a route names it or tasks still run on it. */
  deleteChannel(name: string, actor: Actor): Promise<void>;
  addCredential(channel: string, input: CredentialInput, actor: Actor): Promise<CredentialView>;
  updateCredential(channel: string, id: string, patch: CredentialPatch, actor: Actor): Promise<CredentialView>;
  /** Refused (409) while tasks still run on it (their pending upstream operations would be billed again elsewhere). */
  removeCredential(channel: string, id: string, actor: Actor): Promise<void>;
  setRoute(model: string, entries: RouteEntry[], actor: Actor): Promise<RouteEntry[]>;
  deleteRoute(model: string, actor: Actor): Promise<void>;
  setPrices(prices: PriceSettings, actor: Actor): Promise<PriceSettings>;
  /** A real small request through the channel (one credential, or the one the channel would pick). */
  testChannel(name: string, options: { credential?: string | undefined; model?: string | undefined }): Promise<ChannelTestResult>;
  audit(limit: number, offset: number, subject?: string): Promise<{ entries: AuditEntry[]; total: number }>;
  /** `channel/credential id` → its label and key tail, for reports (no health, no usage read). */
  credentialNames(): ReadonlyMap<string, string>;
}
