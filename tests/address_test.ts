import assert from "node:assert/strict";
import { readAddress, writeAddress } from "../lib/wire/address.ts";

Deno.test("writeAddress/readAddress round-trip IPv4 and IPv6, again through their caches", () => {
  const out = new Uint8Array(64);
  for (let round = 0; round < 2; round++) {
    for (const address of ["10.1.2.3:7946", "127.0.0.1:65535", "[2001:db8:0:0:0:0:0:1]:80"]) {
      const end = writeAddress(address, out, 5);
      assert.equal(end, 5 + (address.startsWith("[") ? 19 : 7));
      const read = readAddress(out, 5);
      assert.equal(read?.next, end);
      assert.equal(
        read?.address.replace("2001:db8:0:0:0:0:0:1", "2001:db8::1"),
        address
          .replace("2001:db8:0:0:0:0:0:1", "2001:db8::1"),
      );
    }
  }
  assert.equal(writeAddress("example.com:1", out, 0), -1, "host names have no wire form");
  assert.equal(writeAddress("10.1.2.3:7946", out, 60), -1, "does not fit, even when cached");
});

Deno.test("readAddress keeps peers that differ only in port apart, past its cache bound", () => {
  const out = new Uint8Array(14);
  writeAddress("192.168.0.1:1000", out, 0);
  writeAddress("192.168.0.1:1001", out, 7);
  const a1 = readAddress(out, 0)!.address;
  const b = readAddress(out, 7)!.address;
  assert.equal(a1, "192.168.0.1:1000");
  assert.equal(b, "192.168.0.1:1001");
  assert.equal(readAddress(out, 0)!.address, "192.168.0.1:1000");
  // More peers than the cache holds still read back right.
  for (let port = 1; port < 5000; port++) {
    writeAddress(`10.0.${port >> 8}.${port & 0xff}:${port}`, out, 0);
    assert.equal(readAddress(out, 0)!.address, `10.0.${port >> 8}.${port & 0xff}:${port}`);
  }
});

Deno.test("writeAddress writes the same bytes from its packed IPv4 cache as on first parse", () => {
  const addresses = ["255.254.253.252:65535", "0.0.0.1:1", "192.168.200.7:256", "10.0.0.255:255"];
  for (const address of addresses) {
    const first = new Uint8Array(7);
    const again = new Uint8Array(7);
    assert.equal(writeAddress(address, first, 0), 7);
    assert.equal(writeAddress(address, again, 0), 7, "second write comes from the cache");
    assert.deepEqual(again, first);
    assert.equal(readAddress(again, 0)?.address, address);
  }
});
