/**
 * `introspection-enabled` (with `--config` only): the options leave introspection on. High when
 * `hardening.introspection` is `true`; low when it is not set (then it is on unless NODE_ENV is
 * `production` where the server starts).
 */
import type { Finding } from '../model.js';
import type { ReportSettings } from '../settings.js';

/** The finding of introspection left on, if any. */
export function introspectionFindings(settings: ReportSettings): Finding[] {
  const config = settings.config;
  if (!config || config.introspection === false) return [];
  const fix = 'set hardening: { introspection: false } in the production options';
  if (config.introspection === true) {
    return [
      {
        rule: 'introspection-enabled',
        severity: 'high',
        coordinate: 'config',
        message: 'hardening.introspection is true: anyone can read the whole schema',
        fix,
      },
    ];
  }
  return [
    {
      rule: 'introspection-enabled',
      severity: 'low',
      coordinate: 'config',
      message: 'hardening.introspection is not set: introspection is on unless NODE_ENV is "production" at startup',
      fix,
    },
  ];
}
