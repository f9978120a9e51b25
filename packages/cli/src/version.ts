/** The installed version of `@rampart/cli`, for `rampart --version`. */
import { readFileSync } from 'node:fs';

/**
 * The `version` of this package's `package.json`, read at run time (one folder above `src/` and
 * `dist/`, so it is right from the sources, the build and an installed tarball).
 */
export function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return String(manifest.version);
}
