/** One package this repository publishes (see public-packages.mjs). */
export interface PublicPackage {
  name: string;
  /** Absolute path of its folder. */
  dir: string;
  /** Its package.json. */
  // biome-ignore lint/suspicious/noExplicitAny: a package.json is arbitrary JSON
  manifest: Record<string, any>;
}
export const repoRoot: string;
export function publicPackages(): PublicPackage[];
