/**
 * Latency telemetry for one client: the clock exchanges with it (through a
 * {@linkcode ClockFilter}), each input's one-way latency (emit time −
 * (capture time + offset)), and the counts a stats line reports. A
 * {@linkcode StatsWindow} turns the running counts into per-interval
 * figures, one window per consumer (the CLI's stats lines, the web view).
 *
 * @module
 */

import { ClockFilter } from "../net/clock_sync.ts";
import { type ClockReply, type ClockRequest, RTT_UNKNOWN } from "../wire/protocol.ts";

/** Latencies below this many µs get a bucket each. */
const EXACT_BELOW = 32;
/** Buckets per power of two above {@linkcode EXACT_BELOW}: 1/16 resolution. */
const SUB_BUCKET_BITS = 4;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
/** log2 of {@linkcode EXACT_BELOW}. */
const FIRST_EXPONENT = 5;
/** Buckets up to 2³² µs (71 minutes); longer latencies fall in the last. */
export const HISTOGRAM_BUCKETS: number = EXACT_BELOW + (32 - FIRST_EXPONENT) * SUB_BUCKETS;

/** The bucket of a latency in µs. */
function bucketOf(us: number): number {
  const v = us >= 0xffffffff ? 0xffffffff : us >>> 0;
  if (v < EXACT_BELOW) return v;
  const exponent = 31 - Math.clz32(v);
  const sub = (v >>> (exponent - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
  return EXACT_BELOW + (exponent - FIRST_EXPONENT) * SUB_BUCKETS + sub;
}

/** The lowest latency in a bucket, and its width, in µs. */
function bucketRange(index: number): [low: number, width: number] {
  if (index < EXACT_BELOW) return [index, 1];
  const exponent = FIRST_EXPONENT + Math.floor((index - EXACT_BELOW) / SUB_BUCKETS);
  const sub = (index - EXACT_BELOW) % SUB_BUCKETS;
  const width = 2 ** (exponent - SUB_BUCKET_BITS);
  return [(SUB_BUCKETS + sub) * width, width];
}

/** Percentiles of one interval's latencies, in whole µs. */
export interface LatencySummary {
  /** Median. */
  p50: number;
  /** 99th percentile. */
  p99: number;
  /** Largest. */
  max: number;
}

/**
 * Summarise a histogram of counts per bucket. Percentiles are the middle
 * of their bucket (within 1/32 of the value); `max` is the top of the
 * highest bucket, but never above `ceiling` (the largest latency seen).
 *
 * @returns null when the histogram is empty.
 */
export function summarise(counts: ArrayLike<number>, ceiling: number): LatencySummary | null {
  let total = 0;
  let highest = -1;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i]! > 0) {
      total += counts[i]!;
      highest = i;
    }
  }
  if (total === 0) return null;
  const at = (fraction: number): number => {
    const rank = Math.max(1, Math.ceil(fraction * total));
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!;
      if (seen >= rank) {
        const [low, width] = bucketRange(i);
        return Math.min(ceiling, Math.floor(low + (width - 1) / 2));
      }
    }
    return ceiling;
  };
  const [low, width] = bucketRange(highest);
  return { p50: at(0.5), p99: at(0.99), max: Math.min(ceiling, low + width - 1) };
}

/** Clock requests whose replies are still accepted. */
const OUTSTANDING_REQUESTS = 4;

/** The clock requests sent to one client, and the filter over its replies. */
class ClockState {
  readonly filter = new ClockFilter();
  readonly sentIds = new Uint32Array(OUTSTANDING_REQUESTS);
  readonly sentTimes = new Float64Array(OUTSTANDING_REQUESTS);
}

/**
 * Everything measured about one client. The clock state is made with the
 * first clock request and the histogram with the first latency, so a
 * connection that takes neither (a first-release client) costs a few
 * numbers only.
 */
export class ClientTelemetry {
  #clock: ClockState | null = null;
  #nextId = 1;
  #counts: Uint32Array | null = null;
  #maxLatency = 0;
  /** Input events reported for this client so far. */
  events = 0;

  /** Clock exchanges completed with this client. */
  get exchanges(): number {
    return this.#clock?.filter.samples ?? 0;
  }

  /** The filtered round trip, in µs; null before the first exchange. */
  get rttUs(): number | null {
    return this.#clock?.filter.estimate?.rttUs ?? null;
  }

  /**
   * Server clock − client clock, in µs, filtered; null before the first
   * exchange. A client capture time plus this is the server's clock.
   */
  get offsetUs(): number | null {
    const estimate = this.#clock?.filter.estimate;
    return estimate ? 0 - estimate.offsetUs || 0 : null; // never -0
  }

  /**
   * The next clock request to send at `nowUs` (server clock), with the
   * estimates so far for the client to know.
   */
  request(nowUs: number): ClockRequest {
    const clock = this.#clock ??= new ClockState();
    const id = this.#nextId++ >>> 0;
    const slot = id % OUTSTANDING_REQUESTS;
    clock.sentIds[slot] = id;
    clock.sentTimes[slot] = nowUs;
    return { id, sentUs: nowUs, rttUs: this.rttUs ?? RTT_UNKNOWN, offsetUs: this.offsetUs ?? 0 };
  }

  /**
   * Take a reply that arrived at `answeredUs` (server clock). A reply to
   * no recent request of ours, or with a send time we did not send, is
   * ignored.
   *
   * @returns whether the reply was used.
   */
  reply(reply: ClockReply, answeredUs: number): boolean {
    const clock = this.#clock;
    const slot = reply.id % OUTSTANDING_REQUESTS;
    if (!clock || clock.sentIds[slot] !== reply.id || clock.sentTimes[slot] !== reply.sentUs) {
      return false;
    }
    clock.sentIds[slot] = 0;
    clock.filter.add({
      sent: reply.sentUs,
      received: reply.receivedUs,
      replied: reply.repliedUs,
      answered: answeredUs,
    });
    return true;
  }

  /**
   * One input's latency in whole µs: `emitUs` (server clock) − (`captureUs`
   * (client clock) + offset), at least 0; null before the first exchange.
   * Recorded for the stats.
   */
  latency(captureUs: number, emitUs: number): number | null {
    const offset = this.offsetUs;
    if (offset === null) return null;
    const us = Math.max(0, Math.round(emitUs - (captureUs + offset)));
    (this.#counts ??= new Uint32Array(HISTOGRAM_BUCKETS))[bucketOf(us)]!++;
    if (us > this.#maxLatency) this.#maxLatency = us;
    return us;
  }

  /** The latency histogram so far (counts per bucket); null before the first latency. */
  get histogram(): Readonly<Uint32Array> | null {
    return this.#counts;
  }

  /** The largest latency so far, in µs. */
  get maxLatencyUs(): number {
    return this.#maxLatency;
  }
}

/** What a stats window reads from each client. */
export interface TelemetrySource {
  /** The client's name. */
  readonly client: string;
  /** Its telemetry. */
  readonly telemetry: ClientTelemetry;
  /** Bytes received from it so far. */
  readonly bytesReceived: number;
  /** `performance.now()` when its handshake completed: where its first interval starts. */
  readonly startedAt: number;
}

/** One client's figures over one interval: the `stats` record of `--json`. */
export interface ClientStats {
  /** The client's name. */
  client: string;
  /** The filtered round trip, in µs; null before the first clock exchange (or for a client that takes none). */
  rttUs: number | null;
  /** Server clock − client clock, in µs; null like `rttUs`. */
  offsetUs: number | null;
  /** Latency percentiles of the interval's inputs; null when none carried a capture time. */
  latencyUs: LatencySummary | null;
  /** Input events in the interval. */
  events: number;
  /** Bytes received from the client in the interval. */
  bytes: number;
  /** The interval's length, in seconds. */
  seconds: number;
}

/** Where a window was at its last reading, for one client. */
interface Mark {
  telemetry: ClientTelemetry;
  events: number;
  bytes: number;
  counts: Uint32Array | null;
  at: number;
}

/**
 * Per-interval figures from running counts: each {@linkcode read} reports
 * what happened since the previous one, per client. Each consumer keeps its
 * own window, so two consumers at different intervals do not disturb each
 * other.
 */
export class StatsWindow {
  #marks = new Map<string, Mark>();

  /**
   * The figures since the previous reading, for every client in `sources`,
   * at `nowMs` (`performance.now()`); a client new since then counts from
   * its start.
   */
  read(sources: Iterable<TelemetrySource>, nowMs: number = performance.now()): ClientStats[] {
    const marks = new Map<string, Mark>();
    const out: ClientStats[] = [];
    for (const source of sources) {
      const telemetry = source.telemetry;
      let mark = this.#marks.get(source.client);
      if (mark?.telemetry !== telemetry) mark = undefined;
      const now = telemetry.histogram;
      let latencyUs: LatencySummary | null = null;
      if (now) {
        const delta = new Uint32Array(now.length);
        for (let i = 0; i < now.length; i++) delta[i] = now[i]! - (mark?.counts?.[i] ?? 0);
        latencyUs = summarise(delta, telemetry.maxLatencyUs);
      }
      out.push({
        client: source.client,
        rttUs: telemetry.rttUs,
        offsetUs: telemetry.offsetUs,
        latencyUs,
        events: telemetry.events - (mark?.events ?? 0),
        bytes: source.bytesReceived - (mark?.bytes ?? 0),
        seconds: Math.max(0, nowMs - (mark?.at ?? source.startedAt)) / 1000,
      });
      marks.set(source.client, {
        telemetry,
        events: telemetry.events,
        bytes: source.bytesReceived,
        counts: now ? now.slice() : null,
        at: nowMs,
      });
    }
    this.#marks = marks;
    return out;
  }
}
