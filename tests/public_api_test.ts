import assert from "node:assert/strict";

/** The root export stays small: what an application needs, the rest behind subpaths. */
const ROOT_SYMBOL_LIMIT = 40;

const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))) as {
  exports: Record<string, string>;
};

async function rootSymbols(): Promise<string[]> {
  const output = await new Deno.Command("deno", {
    args: ["doc", "--json", "mod.ts"],
    cwd: new URL("..", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const doc = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    nodes: Record<string, { symbols: { name: string }[] }>;
  };
  return Object.values(doc.nodes).flatMap((node) => node.symbols.map((symbol) => symbol.name));
}

Deno.test(`mod.ts exports at most ${ROOT_SYMBOL_LIMIT} symbols`, async () => {
  const names = await rootSymbols();
  assert.ok(names.includes("GossipNode"), "GossipNode is missing from the root export");
  assert.ok(
    names.length <= ROOT_SYMBOL_LIMIT,
    `mod.ts exports ${names.length} symbols (limit ${ROOT_SYMBOL_LIMIT}); move the ones an ` +
      `application does not need to a subpath export: ${names.join(", ")}`,
  );
});

Deno.test("every subpath export of deno.json loads and exports something", async () => {
  const expected = ["./transport", "./security", "./metrics", "./sim", "./engine"];
  for (const subpath of expected) assert.ok(subpath in config.exports, `${subpath} not exported`);
  for (const [subpath, file] of Object.entries(config.exports)) {
    const module = await import(new URL(`../${file}`, import.meta.url).href);
    // cli.ts is a program (it runs only as the main module); the others are libraries.
    if (subpath !== "./cli") {
      assert.ok(Object.keys(module).length > 0, `${subpath} (${file}) exports nothing`);
    }
  }
});
