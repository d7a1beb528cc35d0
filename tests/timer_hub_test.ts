import assert from "node:assert/strict";
import { TimerHub, type TimerRuntime } from "../lib/node/timer_hub.ts";

/** A runtime whose clock moves only when told; records the runtime timers armed. */
class FakeRuntime implements TimerRuntime {
  clock = 0;
  armed = new Map<number, { at: number; fire: () => void }>();
  made = 0;
  #next = 1;

  now(): number {
    return this.clock;
  }

  setTimeout(fire: () => void, delayMs: number): unknown {
    const handle = this.#next++;
    this.made++;
    this.armed.set(handle, { at: this.clock + delayMs, fire });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.armed.delete(handle as number);
  }

  /** Moves the clock to `to`, firing runtime timers due on the way, in time order. */
  advance(to: number): void {
    for (;;) {
      let first: [number, { at: number; fire: () => void }] | undefined;
      for (const entry of this.armed) if (!first || entry[1].at < first[1].at) first = entry;
      if (!first || first[1].at > to) break;
      this.armed.delete(first[0]);
      this.clock = first[1].at;
      first[1].fire();
    }
    this.clock = to;
  }
}

Deno.test("the hub runs wake-ups in time order on one runtime timer", () => {
  const runtime = new FakeRuntime();
  const hub = new TimerHub(runtime);
  const ran: string[] = [];
  hub.at(30, () => ran.push("c"));
  hub.at(10, () => ran.push("a"));
  hub.at(20, () => ran.push("b"));
  assert.equal(runtime.armed.size, 1, "one runtime timer for three wake-ups");
  assert.equal([...runtime.armed.values()][0]!.at, 10, "armed for the earliest");
  runtime.advance(15);
  assert.deepEqual(ran, ["a"]);
  runtime.advance(100);
  assert.deepEqual(ran, ["a", "b", "c"]);
  assert.equal(runtime.armed.size, 0, "nothing left armed");
  assert.equal(hub.size, 0);
});

Deno.test("wake-ups due in the same millisecond run in one firing, in the order made", () => {
  const runtime = new FakeRuntime();
  const hub = new TimerHub(runtime);
  const ran: number[] = [];
  for (let i = 0; i < 50; i++) hub.at(5, () => ran.push(i));
  runtime.advance(5);
  assert.deepEqual(ran, Array.from({ length: 50 }, (_, i) => i));
  assert.equal(runtime.made, 1, "a single runtime timer served all fifty");
});

Deno.test("a later wake-up keeps the armed timer; an earlier one re-arms it", () => {
  const runtime = new FakeRuntime();
  const hub = new TimerHub(runtime);
  hub.at(50, () => {});
  hub.at(80, () => {});
  assert.equal(runtime.made, 1);
  hub.at(50.5, () => {});
  assert.equal(runtime.made, 1, "within a millisecond of the armed time: no new timer");
  hub.at(20, () => {});
  assert.equal(runtime.made, 2, "an earlier wake-up re-arms");
  assert.equal(runtime.armed.size, 1, "and the old runtime timer is cleared");
  assert.equal([...runtime.armed.values()][0]!.at, 20);
});

Deno.test("a cancelled wake-up never runs, and cancelled entries do not pile up", () => {
  const runtime = new FakeRuntime();
  const hub = new TimerHub(runtime);
  let ran = 0;
  const kept = hub.at(1000, () => ran++);
  for (let i = 0; i < 10_000; i++) hub.cancel(hub.at(500 + i, () => ran++));
  assert.ok(hub.size <= 2 * 64 + 2, `heap holds ${hub.size} entries for one live wake-up`);
  runtime.advance(20_000);
  assert.equal(ran, 1, "only the live wake-up ran");
  assert.equal(kept.done, true);
  hub.cancel(kept); // after it ran: harmless
});

Deno.test("a wake-up made while the hub fires, already due, runs in the same firing", () => {
  const runtime = new FakeRuntime();
  const hub = new TimerHub(runtime);
  const ran: string[] = [];
  hub.at(10, () => {
    ran.push("first");
    hub.at(runtime.now(), () => ran.push("made while firing"));
    hub.at(runtime.now() + 40, () => ran.push("later"));
  });
  runtime.advance(10);
  assert.deepEqual(ran, ["first", "made while firing"]);
  assert.equal([...runtime.armed.values()][0]!.at, 50, "re-armed for the later one");
  runtime.advance(50);
  assert.deepEqual(ran, ["first", "made while firing", "later"]);
});

Deno.test("cancelling every wake-up clears the runtime timer", () => {
  const runtime = new FakeRuntime();
  const hub = new TimerHub(runtime);
  const a = hub.at(10, () => {});
  const b = hub.at(20, () => {});
  hub.cancel(a);
  assert.equal([...runtime.armed.values()][0]!.at, 20, "moved to the next live wake-up");
  hub.cancel(b);
  assert.equal(runtime.armed.size, 0, "no runtime timer keeps the process alive");
});
