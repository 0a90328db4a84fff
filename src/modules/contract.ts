/**
 * The module contract, Parapet's side: the context every module is created with, the registry of
 * module APIs (each module adds its own entry), and `defineModule`, which types a manifest so that
 * `create` receives exactly the APIs of the modules named in `dependsOn`.
 *
 * A module is one folder under `src/modules/` whose `module.ts` exports one manifest, and one line
 * in `src/modules/index.ts`. See docs/architecture.md, "The module contract".
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config, OptionSpec } from '../config/index.ts';
import type { AppTransactor, DB } from '../database.ts';
import type { Clock } from '../platform/clock.ts';
import type { KeyProvider } from '../platform/crypto/key-provider.ts';
import type { Keyring } from '../platform/crypto/keyring.ts';
import type { Random } from '../platform/crypto/random.ts';
import type { ShredRegister } from '../platform/crypto/shred-register.ts';
import type { Database } from '../platform/db/index.ts';
import type { ErrorEntry } from '../platform/http/errors.ts';
import type { HttpMetrics } from '../platform/http/metrics.ts';
import type { Mailer } from '../platform/mail/index.ts';
import type { ModuleInstance, TableScope } from '../platform/module.ts';
import type { ChangeFeed } from '../platform/notify/change-feed.ts';
import type { RedisHealth } from '../platform/redis/redis-health.ts';
import type { ReviewContributor } from './access/index.ts';
import type { PasswordHasher } from './identity/index.ts';
import type { DeletionNotifier, PersonalDataContributor, TableRetention } from './lifecycle/index.ts';

/**
 * Each module's API, by module name. A module adds its entry from its own `module.ts`:
 * `declare module '../contract.ts' { interface ModuleApis { audit: AuditApi } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface ModuleApis {}

export type ModuleName = Extract<keyof ModuleApis, string>;

/** Optional parts of the app a caller (start-up, tests, benchmarks) may supply. */
export interface AppOptions {
  /** The root key provider; defaults to the local provider over the keyring (nothing persisted). */
  readonly keyProvider?: KeyProvider;
  /** Tenants whose keys were destroyed, kept outside the database (start.ts: a file beside the keyring). */
  readonly shredRegister?: ShredRegister;
  /** Delivers account and organization deletion notices (DATA-3); by default the mailer. */
  readonly deletionNotifier?: DeletionNotifier;
}

/** What modules contribute to each other without a dependency: collected from every manifest before any module is created. */
export interface Contributions {
  /** Credentials beside role bindings in the access review (AC-5). */
  readonly reviewContributors: readonly ReviewContributor[];
  /** Sections of the personal-data export and erasure (DATA-2, DATA-3). */
  readonly personalData: readonly PersonalDataContributor[];
  /** Data types under the retention policy (DATA-1), each declared by the module owning its table. */
  readonly retention: readonly TableRetention[];
}

/** Shared machinery every module is created with. Nothing here is a module's API. */
export interface AppContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database<DB>;
  readonly transactor: AppTransactor;
  readonly hasher: PasswordHasher;
  readonly clock: Clock;
  readonly random: Random;
  readonly keyring: Keyring;
  readonly metrics: HttpMetrics;
  readonly feed: ChangeFeed;
  readonly mail: Mailer;
  /** The shared counters connection and key prefix when Redis is configured (AUTH-6). */
  readonly redis: { readonly client: Redis; readonly prefix: string; readonly health: RedisHealth } | undefined;
  readonly options: AppOptions;
  readonly contributions: Contributions;
}

/** A module's manifest: what it owns and declares, and how it is created. */
export interface AppModule<N extends ModuleName = ModuleName, D extends ModuleName = ModuleName> {
  readonly name: N;
  /** What the module is for, one line (docs/architecture.md lists it). */
  readonly summary: string;
  /** Modules whose APIs `create` receives; each must come earlier in the list. */
  readonly dependsOn: readonly D[];
  /** Every table the module's SQL names, and no other module's. */
  readonly tables: Readonly<Record<string, TableScope>>;
  /** The folder of the module's `NNNN_name.sql` migrations (numbered in one sequence across modules). */
  readonly migrations?: URL;
  /** The module's error codes (its `errors.ts`, made with `defineErrors`); the HTTP catalogue is their union with the platform's. */
  readonly errors?: Readonly<Record<string, ErrorEntry>>;
  /** The audit actions the module records (its `audit-actions.ts`, made with `defineAuditActions`). */
  readonly auditActions?: Readonly<Record<string, string>>;
  readonly reviewContributors?: readonly ReviewContributor[];
  /** The module's configuration options (its `options.ts`, made with `defineOption`); the catalogue is the platform's plus every module's. */
  readonly options?: readonly OptionSpec[];
  /** The module's data types under the retention policy (DATA-1): its own tables only; the lifecycle module purges them. */
  readonly retention?: readonly TableRetention[];
  /** The module's sections of the personal-data export. */
  readonly personalData?: (ctx: Pick<AppContext, 'transactor' | 'clock'>) => readonly PersonalDataContributor[];
  create(ctx: AppContext, deps: Pick<ModuleApis, D>): ModuleInstance<ModuleApis[N]> | Promise<ModuleInstance<ModuleApis[N]>>;
}

/** Types a manifest: `dependsOn` decides what `create` receives. */
export function defineModule<N extends ModuleName, D extends ModuleName = never>(module: AppModule<N, D>): AppModule<N, D> {
  return Object.freeze(module);
}
