/** Options of the anomaly signal (`rampart({ anomaly })`), with their defaults, resolved in one place. */
import { check, type OptionSchema, resolveOptions } from '@rampart/core';

/**
 * When one client's refusals become an anomaly: `threshold` refused operations within `windowSeconds`
 * emit one `anomaly` decision (and a `rampart.anomalies` point) per client and window. A signal only:
 * responses are never changed.
 */
export interface AnomalyOptions {
  /**
   * Refused operations (authentication failures, IP, rule and scope denials, limits and rate-limit
   * refusals) of one client within the window that make an anomaly.
   * @default 50
   */
  threshold: number;
  /**
   * The sliding window, in seconds (counted in tenths of it: a refusal is forgotten between 0.9 and 1
   * window after it). At most one anomaly per client per window.
   * @default 60
   */
  windowSeconds: number;
  /**
   * Most clients tracked at once (a client is its principal id, else its client id, else its address);
   * beyond it the client refused least recently is forgotten. About 200 bytes per client.
   * @default 10000
   */
  maxClients: number;
}

/** The defaults: 50 refusals a minute from one client, 10,000 clients tracked. */
export const anomalyDefaults: Readonly<AnomalyOptions> = Object.freeze({
  threshold: 50,
  windowSeconds: 60,
  maxClients: 10_000,
});

const schema: OptionSchema<AnomalyOptions> = {
  threshold: check.integer(1, 1_000_000),
  windowSeconds: check.integer(1, 24 * 3600),
  maxClients: check.integer(1, 10_000_000),
};

/** Resolves `rampart({ anomaly })`: `false` turns the signal off (`undefined`). */
export function resolveAnomalyOptions(
  user: Partial<AnomalyOptions> | false | undefined,
): Readonly<AnomalyOptions> | undefined {
  if (user === false) return undefined;
  return resolveOptions('rampart.anomaly', anomalyDefaults, schema, user);
}
