import assert from "node:assert/strict";
import { seededPrng } from "../lib/core/prng.ts";
import { ActiveView } from "../lib/membership/active_view.ts";
import { addressGroup } from "../lib/membership/address_group.ts";
import { Admission, diverseFirst, EVICTION_BURST } from "../lib/membership/admission.ts";
import { SelfAddresses } from "../lib/membership/self_addresses.ts";

const timing = { shuffleIntervalMs: 2000, probeIntervalMs: 1000 };
const healthy = () => true;

/** Five neighbours; 10.0.0.i was linked i × `spacing` ms before `now`. */
function fullView(now: number, spacing = 10_000): ActiveView {
  const view = new ActiveView(5);
  for (let i = 1; i <= 5; i++) view.add(`10.0.0.${i}:1`, i, now - i * spacing);
  return view;
}

Deno.test("admission: the oldest healthy neighbours are anchors and are never evicted", () => {
  const admission = new Admission(timing);
  const view = fullView(100_000);
  const anchors = admission.anchors(view, 100_000, healthy);
  assert.deepEqual([...anchors].sort(), ["10.0.0.3:1", "10.0.0.4:1", "10.0.0.5:1"]);
  const rng = seededPrng(1);
  for (let k = 0; k < 50; k++) {
    const victim = new Admission(timing).evictionVictim(
      view,
      "172.16.0.1:1",
      100_000,
      rng,
      healthy,
    );
    assert.ok(victim === "10.0.0.1:1" || victim === "10.0.0.2:1", `evicted ${victim}`);
  }
});

Deno.test("admission: neighbours that delivered new messages rank first as anchors", () => {
  const admission = new Admission(timing);
  const view = fullView(100_000);
  view.credit("10.0.0.1:1");
  view.credit("10.0.0.2:1");
  const anchors = admission.anchors(view, 100_000, healthy);
  assert.deepEqual([...anchors].sort(), ["10.0.0.1:1", "10.0.0.2:1", "10.0.0.5:1"]);
});

Deno.test("admission: young or suspected links are not anchors", () => {
  const admission = new Admission(timing);
  // Linked 1..5 s ago: only the link of 5 s has lasted 5 probe intervals.
  const view = fullView(100_000, 1000);
  assert.deepEqual([...admission.anchors(view, 100_000, healthy)], ["10.0.0.5:1"]);
  assert.equal(admission.anchors(view, 100_000, () => false).size, 0);
});

Deno.test("admission: the eviction budget allows a burst, then one per shuffle period", () => {
  const admission = new Admission(timing);
  const view = fullView(100_000);
  const rng = seededPrng(2);
  const evict = (now: number) =>
    admission.evictionVictim(view, "172.16.0.9:1", now, rng, healthy) !== undefined;
  for (let k = 0; k < EVICTION_BURST; k++) assert.ok(evict(100_000));
  assert.equal(evict(100_000), false, "the burst is spent");
  assert.equal(evict(101_000), false, "half a period refills half a token");
  assert.equal(evict(102_000), true, "a full period refills one");
  assert.equal(admission.counters.admissionsRefused, 2);
});

Deno.test("admission: a newcomer evicts from the most crowded group, its own on a tie", () => {
  const view = new ActiveView(5);
  view.add("10.0.0.1:1", 1, 0);
  view.add("172.16.0.1:1", 2, 0);
  view.add("172.16.0.2:1", 3, 0);
  const admission = new Admission(timing);
  view.add("10.0.1.1:1", 4, 0);
  view.add("10.0.2.1:1", 5, 0);
  // All are young (no anchors): the Sybil group holds two, so a Sybil replaces a Sybil.
  const victim = admission.evictionVictim(view, "172.16.0.3:1", 1000, seededPrng(3), healthy);
  assert.equal(addressGroup(victim!), "172.16.0");
});

Deno.test("diverseFirst puts candidates from groups without neighbours first", () => {
  const order = diverseFirst(
    ["172.16.0.5:1", "10.0.9.1:1", "172.16.0.6:1"],
    ["172.16.0.1:1", "172.16.0.2:1"],
  );
  assert.equal(order[0], "10.0.9.1:1");
});

Deno.test("addressGroup: /24 for IPv4, /48 for IPv6 in any spelling", () => {
  assert.equal(addressGroup("192.168.7.9:7946"), "192.168.7");
  assert.equal(addressGroup("[2001:db8:1::5]:7946"), "2001:db8:1");
  assert.equal(addressGroup("[2001:0db8:0001:0:0:0:0:5]:1"), "2001:db8:1");
  assert.equal(addressGroup("gossip.local:1"), "gossip.local");
});

Deno.test("SelfAddresses is bounded, expires, and forgets an address that spoke with another id", () => {
  const self = new SelfAddresses(2, 1000);
  assert.equal(self.learn("10.0.0.1:1", 0), true);
  self.learn("10.0.0.2:1", 0);
  self.learn("10.0.0.3:1", 0);
  assert.equal(self.has("10.0.0.1:1", 0), false, "the oldest fell out of the bound");
  assert.equal(self.forgotten, 1);
  assert.equal(self.has("10.0.0.3:1", 999), true);
  assert.equal(self.has("10.0.0.3:1", 1000), false, "expired");
  self.forget("10.0.0.2:1");
  assert.equal(self.has("10.0.0.2:1", 0), false);
});
