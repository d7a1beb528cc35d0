/**
 * Builds (or reuses) the node image.
 *
 * The base image is, in order: the `--base-image` flag / STARLING_BASE_IMAGE; the official
 * denoland/deno image if present or pullable; else the offline base built by
 * compose/build_base_offline.sh (debootstrap + the deno binary from npm).
 *
 * The npm packages the CLI imports are cached on the host into compose/image/deno-dir (the
 * repository's deno.lock is respected, never modified) and copied into the image, so neither the
 * build nor the containers need registry access.
 *
 * @module
 */

import { imageExists, imageLabel, run } from "./docker.ts";

/** The official base image the compose file names by default. */
export const OFFICIAL_BASE = "denoland/deno:2.9.6";
/** The base image compose/build_base_offline.sh creates. */
export const OFFLINE_BASE = "starling-base:2.9.6";
const HASH_LABEL = "org.starling.source-hash";

/** How to build the node image. */
export interface ImageOptions {
  /** Repository root (the build context). */
  root: string;
  /** Tag of the node image. */
  image: string;
  /** Base image; chosen automatically when undefined. */
  baseImage?: string;
  /** Rebuild even if an image with the same sources exists. */
  rebuild: boolean;
  /** Progress lines. */
  say(line: string): void;
}

/** Hash of everything that goes into the image (sources, Dockerfile, entrypoint, base). */
export async function sourceHash(root: string, base: string): Promise<string> {
  const files: string[] = [
    "deno.json",
    "deno.lock",
    "compose/Dockerfile",
    "compose/entrypoint.sh",
  ];
  for await (const e of Deno.readDir(root)) {
    if (e.isFile && e.name.endsWith(".ts")) files.push(e.name);
  }
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(`${root}/${dir}`)) {
      if (e.isDirectory) await walk(`${dir}/${e.name}`);
      else if (e.isFile) files.push(`${dir}/${e.name}`);
    }
  };
  await walk("lib");
  files.sort();
  const parts: Uint8Array[] = [new TextEncoder().encode(base)];
  for (const f of files) {
    try {
      parts.push(new TextEncoder().encode(`\0${f}\0`), await Deno.readFile(`${root}/${f}`));
    } catch {
      // deno.lock may be absent
    }
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...digest.slice(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Picks the base image: explicit, official (local or pulled), else the offline build. */
export async function chooseBase(opts: ImageOptions): Promise<string> {
  if (opts.baseImage) return opts.baseImage;
  if (await imageExists(OFFICIAL_BASE)) return OFFICIAL_BASE;
  if (await imageExists(OFFLINE_BASE)) return OFFLINE_BASE;
  opts.say(`pulling ${OFFICIAL_BASE} ...`);
  const pulled = await run(["docker", "pull", OFFICIAL_BASE], { timeoutMs: 180_000 });
  if (pulled.code === 0) return OFFICIAL_BASE;
  opts.say(`cannot pull ${OFFICIAL_BASE}; building ${OFFLINE_BASE} offline (debootstrap)`);
  const built = await run([`${opts.root}/compose/build_base_offline.sh`], {
    inherit: true,
    timeoutMs: 900_000,
  });
  if (built.code !== 0) throw new Error("compose/build_base_offline.sh failed (see above)");
  return OFFLINE_BASE;
}

/** Fills compose/image/deno-dir with the npm packages cli.ts needs, from the host's deno. */
async function prepareDenoDir(root: string, say: (line: string) => void): Promise<void> {
  const dir = `${root}/compose/image/deno-dir`;
  await Deno.mkdir(dir, { recursive: true });
  for await (const e of Deno.readDir(dir)) {
    if (e.name !== ".gitkeep") await Deno.remove(`${dir}/${e.name}`, { recursive: true });
  }
  // Work on a copy of the lock so the repository's deno.lock is never rewritten.
  const lockCopy = `${root}/compose/image/prepare.lock`;
  let lockFlag = "--no-lock";
  try {
    await Deno.copyFile(`${root}/deno.lock`, lockCopy);
    lockFlag = `--lock=${lockCopy}`;
  } catch {
    // no lock in the repository
  }
  const r = await run(["deno", "cache", "--allow-import", lockFlag, "cli.ts"], {
    cwd: root,
    env: { DENO_DIR: dir, NO_COLOR: "1" },
    timeoutMs: 300_000,
  });
  if (r.code !== 0) {
    say(
      `warning: host 'deno cache' failed; the image build will fetch packages itself:\n` +
        r.stderr.trim(),
    );
  }
}

/** Builds the node image unless one built from the same sources exists. Returns its tag. */
export async function ensureImage(opts: ImageOptions): Promise<{ base: string; built: boolean }> {
  const base = await chooseBase(opts);
  const hash = await sourceHash(opts.root, base);
  if (!opts.rebuild && (await imageLabel(opts.image, HASH_LABEL)) === hash) {
    opts.say(`reusing ${opts.image} (sources unchanged, base ${base})`);
    return { base, built: false };
  }
  opts.say(`building ${opts.image} on ${base} ...`);
  await prepareDenoDir(opts.root, opts.say);
  const r = await run([
    "docker",
    "build",
    "-q",
    "-f",
    `${opts.root}/compose/Dockerfile`,
    "--build-arg",
    `BASE_IMAGE=${base}`,
    "--build-arg",
    `STARLING_SOURCE_HASH=${hash}`,
    "-t",
    opts.image,
    opts.root,
  ], { timeoutMs: 900_000, env: { DOCKER_BUILDKIT: "0" } });
  if (r.code !== 0) {
    throw new Error(
      `docker build failed:\n${(r.stdout + r.stderr).trim().split("\n").slice(-30).join("\n")}`,
    );
  }
  return { base, built: true };
}
