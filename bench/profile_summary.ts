/**
 * Summarises a V8 CPU profile (`deno run --cpu-prof ...` writes a `.cpuprofile`): self time by
 * function and by file, the top entries as a share of all samples, idle and GC shown apart.
 *
 * Run: `deno run --allow-read bench/profile_summary.ts <file.cpuprofile> [--top 30] [--ceiling]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { say } from "./harness.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Time per key, in µs, from a profile: `keyOf` sees the sampled frame and its callers (innermost
 * first) and returns the bucket, or undefined to leave the sample out.
 */
export function selfTimes(
  profile: CpuProfile,
  keyOf: (stack: ProfileNode[]) => string | undefined,
): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const out = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const stack: ProfileNode[] = [];
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      stack.push(byId.get(id)!);
    }
    const key = keyOf(stack);
    if (key === undefined) continue;
    out.set(key, (out.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  return out;
}

function label(n: ProfileNode): string {
  const f = n.callFrame;
  return `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}

const isProject = (n: ProfileNode): boolean => /\/(lib|bench)\//.test(n.callFrame.url);

function shortUrl(url: string): string {
  const at = url.lastIndexOf("/wt-");
  if (at >= 0) return url.slice(url.indexOf("/", at + 1) + 1);
  return url.replace(/^.*\/(ext|node|deno)\//, "$1:") || "(native)";
}

function printTop(title: string, times: Map<string, number>, top: number): void {
  const total = [...times.values()].reduce((a, b) => a + b, 0);
  say(`== ${title} (total ${(total / 1000).toFixed(0)} ms) ==`);
  const rows = [...times.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, us] of rows) {
    say(
      `${((us / total) * 100).toFixed(1).padStart(5)}%  ${
        (us / 1000).toFixed(0).padStart(6)
      } ms  ${key}`,
    );
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { top: { type: "string", default: "30" }, ceiling: { type: "boolean" } },
  });
  const profile = JSON.parse(await Deno.readTextFile(positionals[0]!)) as CpuProfile;
  const top = Number(values.top);
  // The raw UDP ceiling runs in the same process; leave its samples out unless asked.
  const keep = (stack: ProfileNode[]): boolean =>
    values.ceiling || !stack.some((n) => n.callFrame.url.includes("udp_ceiling"));
  printTop(
    "self time by function",
    selfTimes(profile, (s) => keep(s) ? label(s[0]!) : undefined),
    top,
  );
  printTop(
    "self time by file",
    selfTimes(profile, (s) => keep(s) ? shortUrl(s[0]!.callFrame.url) : undefined),
    top,
  );
  printTop(
    "self time charged to the nearest project function (runtime and natives included)",
    selfTimes(profile, (s) => {
      if (!keep(s)) return undefined;
      const own = s.find(isProject);
      return own ? label(own) : label(s[0]!);
    }),
    top,
  );
}
