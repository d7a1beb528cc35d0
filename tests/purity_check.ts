// deno task check: fails when the protocol core reads the clock, randomness, timers or Deno.
import { scanPureDirs } from "./purity.ts";

const hits = await scanPureDirs();
if (hits.length > 0) {
  Deno.stderr.writeSync(new TextEncoder().encode(`Impure protocol core:\n${hits.join("\n")}\n`));
  Deno.exit(1);
}
