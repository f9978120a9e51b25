/**
 * The shapes of a security report (`rampart report`): every schema coordinate with what protects it,
 * and the findings, each with a severity, the coordinate, a message and a fix.
 */

/** How bad a finding is. */
export type Severity = 'high' | 'medium' | 'low';

/** The severities, worst first. */
export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low'];

/** A disjunction of conjunctions (outer list OR, inner list AND), as in `@requiresScopes`. */
export type Dnf = readonly (readonly string[])[];

/** What protects one schema coordinate (its own directives and those it inherits). */
export interface Protection {
  /** Shield rules (`--config`'s `rules`), by name; empty when none or no config. */
  readonly rules: readonly string[];
  /** `@authenticated` on the element, its parent type or (for fields) its return type. */
  readonly authenticated: boolean;
  /** `@requiresScopes` requirements, each to satisfy. */
  readonly scopes: readonly Dnf[];
  /** `@policy` requirements, each to satisfy. */
  readonly policies: readonly Dnf[];
  /** `@cost(weight:)`, when set on the element or its type. */
  readonly cost?: number;
  /** `@listSize` as written (fields only). */
  readonly listSize?: { readonly assumedSize?: number; readonly slicingArguments?: readonly string[] };
  /** `@rateLimit`s (`limit/duration s`), on the field or its parent type. */
  readonly rateLimits: readonly string[];
  /** `@audit(level:)` (fields only). */
  readonly audit?: string;
  /** `@sensitive` on the element or its type. */
  readonly sensitive: boolean;
  /** `limits.overrides[coordinate].depth` from the config. */
  readonly depthOverride?: number | false;
}

/** What kind of schema element a coordinate names. */
export type CoordinateKind = 'field' | 'argument' | 'input field';

/** One schema coordinate of the report. */
export interface CoordinateEntry extends Protection {
  /** `Type.field`, `Type.field(arg:)` or `Input.field`. */
  readonly coordinate: string;
  readonly kind: CoordinateKind;
  /** The element's type as written (`[Order!]!`). */
  readonly type: string;
  readonly description?: string;
  /** The worst severity of the coordinate's findings, if any. */
  readonly worst?: Severity;
}

/** The finding classes (documented in the CLI README). */
export type FindingRule =
  | 'unprotected-mutation'
  | 'unprotected-pii'
  | 'pii-not-sensitive'
  | 'unbounded-list'
  | 'recursive-type'
  | 'login-without-rate-limit'
  | 'introspection-enabled';

/** One problem of the schema or configuration. */
export interface Finding {
  readonly rule: FindingRule;
  readonly severity: Severity;
  /** The schema coordinate, or `config` for the configuration as a whole. */
  readonly coordinate: string;
  readonly message: string;
  readonly fix: string;
}

/** Counts by severity. */
export interface ReportSummary {
  readonly coordinates: number;
  readonly findings: number;
  readonly high: number;
  readonly medium: number;
  readonly low: number;
}

/** The whole report. */
export interface SecurityReport {
  readonly tool: { readonly name: string; readonly version: string };
  /** The schema files and the options module read (set by the command). */
  readonly sources: { readonly schema: readonly string[]; readonly config?: string };
  readonly summary: ReportSummary;
  /** Every coordinate, sorted by coordinate. */
  readonly coordinates: readonly CoordinateEntry[];
  /** Every finding, worst first, then by coordinate. */
  readonly findings: readonly Finding[];
}
