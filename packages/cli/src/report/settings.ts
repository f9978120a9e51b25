/** What the report engine takes: a built schema and what it knows of the Rampart options. */
import type { GraphQLSchema } from 'graphql';

/** What the report reads from the options passed to `rampart()` (`--config`). */
export interface ReportConfig {
  /** `hardening.introspection` as configured (undefined: the default, on unless NODE_ENV is production). */
  readonly introspection?: boolean;
  /** `limits.depth` (undefined: the default, 10; false: off, also for `limits: false`). */
  readonly depth?: number | false;
  /** `limits.overrides`. */
  readonly overrides?: Readonly<Record<string, { readonly depth?: number | false }>>;
  /** `limits.cost.slicingArgumentNames`. */
  readonly slicingArgumentNames?: readonly string[];
  /** `rateLimit.bruteForce[].field`: fields guarded against brute force. */
  readonly bruteForceFields?: readonly string[];
  /** `rateLimit.directiveName`. */
  readonly rateLimitDirective?: string;
}

/** The engine's input. */
export interface ReportSettings {
  readonly schema: GraphQLSchema;
  /** Shield rules by coordinate (`Type.field` → rule name), from `--config`'s `rules`. */
  readonly rules?: ReadonlyMap<string, string>;
  /** The options module's settings; undefined without `--config` (config findings are then skipped). */
  readonly config?: ReportConfig;
}
