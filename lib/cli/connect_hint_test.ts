import assert from "node:assert/strict";
import { clientCommand, isWildcardHost, networkAddresses, reachableLine } from "./connect_hint.ts";

const INTERFACES = [
  { family: "IPv4", name: "lo", address: "127.0.0.1" },
  { family: "IPv6", name: "lo", address: "::1" },
  { family: "IPv4", name: "eth0", address: "192.168.1.20" },
  { family: "IPv6", name: "eth0", address: "fe80::1" },
  { family: "IPv6", name: "eth0", address: "fd00::20" },
  { family: "IPv4", name: "usb0", address: "169.254.7.1" },
  { family: "IPv4", name: "eth0", address: "192.168.1.20" },
] as Deno.NetworkInterfaceInfo[];

Deno.test("networkAddresses: the addresses another machine can type, for a wildcard only", () => {
  assert.deepEqual(networkAddresses("0.0.0.0", INTERFACES), ["192.168.1.20", "169.254.7.1"]);
  if (Deno.build.os !== "windows") {
    assert.deepEqual(networkAddresses("::", INTERFACES), [
      "192.168.1.20",
      "169.254.7.1",
      "fd00::20",
    ]);
  }
  assert.deepEqual(networkAddresses("127.0.0.1", INTERFACES), []);
  assert.deepEqual(networkAddresses("0.0.0.0", INTERFACES.slice(0, 2)), []);
  assert.ok(isWildcardHost("::") && isWildcardHost("0.0.0.0") && !isWildcardHost("::1"));
});

Deno.test("reachableLine lists host:port, IPv6 in brackets, and says when there is none", () => {
  assert.equal(
    reachableLine("::", 7175, ["192.168.1.20", "fd00::20"]),
    "reachable on the network at 192.168.1.20:7175, [fd00::20]:7175",
  );
  assert.match(reachableLine("0.0.0.0", 7175, [])!, /no network address besides loopback/);
  assert.match(reachableLine("0.0.0.0", 7175, null)!, /cannot list/);
  assert.equal(reachableLine("192.168.1.20", 7175, []), null);
});

Deno.test("clientCommand: the token in PADLINK_TOKEN, --port only when not the default", () => {
  const base = { addresses: ["192.168.1.20"], token: "k7q2-m9xd-3fpa-wz8c", tls: [] };
  assert.equal(
    clientCommand({ ...base, hostname: "0.0.0.0", port: 7175 }),
    "PADLINK_TOKEN=k7q2-m9xd-3fpa-wz8c padlink-client --host 192.168.1.20",
  );
  assert.equal(
    clientCommand({ ...base, hostname: "::1", port: 9000, token: null, tls: ["--tls"] }),
    "padlink-client --tls --host ::1 --port 9000",
  );
  assert.equal(
    clientCommand({ ...base, hostname: "10.0.0.1", port: 7175, tls: ["--ca", "/etc/ca.pem"] }),
    "PADLINK_TOKEN=k7q2-m9xd-3fpa-wz8c padlink-client --ca /etc/ca.pem --host 10.0.0.1",
  );
  assert.equal(
    clientCommand({ ...base, hostname: "0.0.0.0", port: 7175, addresses: [] }),
    "PADLINK_TOKEN=k7q2-m9xd-3fpa-wz8c padlink-client --host <this machine>",
  );
  assert.doesNotMatch(clientCommand({ ...base, hostname: "10.0.0.1", port: 1 }), /--token/);
});
