/**
 * A crowd votes with its buttons: every press on every pad of every padlink
 * server on one NATS counts as a vote; every round the client that pressed
 * most wins and its pad rumbles.
 *
 * `deno run --allow-net examples/crowd.ts [nats://127.0.0.1:4222] [--round-ms 10000] [--rounds N]`
 *
 * Fan-in: one subscription to `padlink.*.*.button` takes the presses of all
 * servers and clients, in a queue group, so a second copy started as a
 * standby shares the stream with this one and no press is counted twice.
 * Feedback: the rumble goes back to `padlink.<server>.<client>.command`,
 * built from the tokens of the subject the votes came on (docs/nats.md).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { connect } from "@nats-io/transport-node";
import { safeText } from "../lib/wire/safe_text.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { "round-ms": { type: "string" }, rounds: { type: "string" } },
});
const url = positionals[0] ?? "nats://127.0.0.1:4222";
const roundMs = Number(values["round-ms"] ?? 10_000);
const rounds = Number(values.rounds ?? Infinity);

interface Tally {
  /** `padlink.<server>.<client>`: where this voter's commands go, plus `.command`. */
  prefix: string;
  client: string;
  pad: number;
  votes: number;
}
let tally = new Map<string, Tally>();

const nc = await connect({ servers: url });
nc.subscribe("padlink.*.*.button", {
  queue: "crowd",
  callback: (_, msg) => {
    const press = msg.json<{ client: string; pad: number; pressed: boolean }>();
    if (!press.pressed) return;
    const prefix = msg.subject.slice(0, msg.subject.lastIndexOf("."));
    const voter = tally.get(prefix) ?? { prefix, client: press.client, pad: press.pad, votes: 0 };
    voter.votes++;
    voter.pad = press.pad;
    tally.set(prefix, voter);
  },
});
await nc.flush(); // The broker has the subscription.
console.log(`counting presses on ${url}, a round every ${roundMs} ms`);

for (let round = 1; round <= rounds; round++) {
  await new Promise((resolve) => setTimeout(resolve, roundMs));
  const [winner] = [...tally.values()].sort((a, b) => b.votes - a.votes);
  tally = new Map();
  if (!winner) {
    console.log(`round ${round}: no votes`);
    continue;
  }
  const rumble = { type: "rumble", pad: winner.pad, low: 1, high: 0.5, ms: 500 };
  const reply = await nc.request(`${winner.prefix}.command`, JSON.stringify(rumble), {
    timeout: 2000,
  }).then((m) => m.json<{ ok: boolean; error?: string }>(), (e) => ({ ok: false, error: `${e}` }));
  console.log(
    `round ${round}: ${safeText(winner.client)} wins with ${winner.votes} votes; rumble ${
      reply.ok ? "sent" : `refused: ${safeText(reply.error ?? "")}`
    }`,
  );
}
await nc.close();
