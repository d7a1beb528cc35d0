/**
 * The sans-I/O rule as code: the protocol core must not read the clock, draw from Math.random,
 * set timers or touch Deno. `findImpurities` scans source text; `tests/purity_check.ts` runs it
 * over the core folders for `deno task check`, and `purity_test.ts` runs it in the test suite.
 *
 * @module
 */

/** Folders whose files must stay pure. */
export const PURE_DIRS = [
  "lib/core",
  "lib/engine",
  "lib/wire",
  "lib/broadcast",
  "lib/membership",
  "lib/sim",
];

const FORBIDDEN = [
  /\bDate\.now\b/,
  /\bnew Date\(/,
  /\bMath\.random\b/,
  /\bsetTimeout\b/,
  /\bsetInterval\b/,
  /\bperformance\.now\b/,
  /\bDeno\./,
  /\bcrypto\.getRandomValues\b/,
  /from\s+["']node:/,
];

/** Lines of `source` that break the rule, as "line: text". Comment lines may name them. */
export function findImpurities(source: string): string[] {
  const hits: string[] = [];
  source.split("\n").forEach((line, i) => {
    const text = line.trim();
    if (text.startsWith("*") || text.startsWith("//") || text.startsWith("/*")) return;
    if (FORBIDDEN.some((pattern) => pattern.test(line))) hits.push(`${i + 1}: ${text}`);
  });
  return hits;
}

/** Scans every .ts file under the pure folders; returns "file:line: text" for each violation. */
export async function scanPureDirs(root = "."): Promise<string[]> {
  const hits: string[] = [];
  for (const dir of PURE_DIRS) {
    for await (const entry of Deno.readDir(`${root}/${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      const source = await Deno.readTextFile(`${root}/${path}`);
      for (const hit of findImpurities(source)) hits.push(`${path}:${hit}`);
    }
  }
  return hits;
}
