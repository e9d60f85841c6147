/**
 * DSU pad-data subscriptions. UDP has no connection, so a client's
 * pad-data request is a subscription that it renews; a server keeps
 * streaming to the client's address until {@linkcode SUBSCRIPTION_TIMEOUT_MS}
 * after the last request of each kind (all pads, one slot, one MAC).
 *
 * @module
 */

import { DSU_SLOT_COUNT, type PadSelector } from "./protocol.ts";

/** How long a pad-data request keeps its stream going without renewal. */
export const SUBSCRIPTION_TIMEOUT_MS = 5000;

/**
 * Most client addresses streamed to at once; a new one past this drops the
 * one that renewed least recently. Each costs a few hundred bytes and one
 * datagram per pad per change, and an emulator uses one address.
 */
export const DEFAULT_MAX_SUBSCRIBERS = 16;

/**
 * Most MACs one subscriber follows at once; a new one past this replaces the
 * one it asked for first. A real client follows at most one per slot.
 */
export const MAX_MACS_PER_SUBSCRIBER = 8;

/** One client address and what it asked to receive. */
export class Subscriber {
  /** The client's IP address. */
  readonly address: string;
  /** The client's UDP port. */
  readonly port: number;
  /** When its last pad-data request arrived (ms, `performance.now()`). */
  lastRequest: number = -Infinity;
  /** When a pad packet for each slot last went to it, or -Infinity. */
  readonly lastSent: number[] = new Array(DSU_SLOT_COUNT).fill(-Infinity);
  #allUntil = -Infinity;
  readonly #slotUntil: number[] = new Array(DSU_SLOT_COUNT).fill(-Infinity);
  readonly #macUntil = new Map<string, number>();
  #packetNumber = 0;

  /** A subscriber at `address`:`port`. */
  constructor(address: string, port: number) {
    this.address = address;
    this.port = port;
  }

  /** Renew what `selector` asks for, until `now` + `timeoutMs`. */
  renew(selector: PadSelector, now: number, timeoutMs: number): void {
    const until = now + timeoutMs;
    this.lastRequest = now;
    if (selector.all) this.#allUntil = until;
    if (selector.slot !== null) this.#slotUntil[selector.slot] = until;
    if (selector.mac !== null) {
      this.#macUntil.delete(selector.mac); // Re-inserted last: the newest.
      if (this.#macUntil.size >= MAX_MACS_PER_SUBSCRIBER) {
        this.#macUntil.delete(this.#macUntil.keys().next().value!);
      }
      this.#macUntil.set(selector.mac, until);
    }
  }

  /** Whether it wants the pad in `slot` with MAC `mac` (hex) at `now`. */
  wants(slot: number, mac: string, now: number): boolean {
    return this.#allUntil > now || this.#slotUntil[slot]! > now ||
      (this.#macUntil.get(mac) ?? -Infinity) > now;
  }

  /** Whether every request it made has run out at `now`. */
  expired(now: number): boolean {
    if (this.#allUntil > now || this.#slotUntil.some((until) => until > now)) return false;
    for (const [mac, until] of this.#macUntil) {
      if (until > now) return false;
      this.#macUntil.delete(mac);
    }
    return true;
  }

  /** The next packet number: 0, 1, 2 … wrapping at 2³², one per packet sent to it. */
  nextPacketNumber(): number {
    const number = this.#packetNumber;
    this.#packetNumber = (this.#packetNumber + 1) >>> 0;
    return number;
  }
}

/** Options for {@linkcode SubscriberTable}. */
export interface SubscriberTableOptions {
  /** Most subscribers; default {@linkcode DEFAULT_MAX_SUBSCRIBERS}. */
  maxSubscribers?: number;
  /** Lifetime of a request; default {@linkcode SUBSCRIPTION_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** The subscribers of one DSU server, by address. */
export class SubscriberTable {
  readonly #byAddress = new Map<string, Subscriber>();
  readonly #max: number;
  readonly #timeoutMs: number;
  /** Subscribers dropped to stay within the bound. */
  evicted = 0;

  /** An empty table. */
  constructor(options: SubscriberTableOptions = {}) {
    this.#max = Math.max(1, options.maxSubscribers ?? DEFAULT_MAX_SUBSCRIBERS);
    this.#timeoutMs = options.timeoutMs ?? SUBSCRIPTION_TIMEOUT_MS;
  }

  /**
   * Record a pad-data request from `address`:`port`.
   *
   * @returns the subscriber, new or renewed
   */
  subscribe(address: string, port: number, selector: PadSelector, now: number): Subscriber {
    const key = `${address}|${port}`;
    let subscriber = this.#byAddress.get(key);
    if (!subscriber) {
      if (this.#byAddress.size >= this.#max) this.#evictOldest();
      subscriber = new Subscriber(address, port);
      this.#byAddress.set(key, subscriber);
    }
    subscriber.renew(selector, now, this.#timeoutMs);
    return subscriber;
  }

  /** Forget subscribers whose requests all ran out by `now`. */
  expire(now: number): void {
    for (const [key, subscriber] of this.#byAddress) {
      if (subscriber.expired(now)) this.#byAddress.delete(key);
    }
  }

  /** The subscribers now, in the order they first subscribed. */
  values(): IterableIterator<Subscriber> {
    return this.#byAddress.values();
  }

  /** How many there are. */
  get size(): number {
    return this.#byAddress.size;
  }

  #evictOldest(): void {
    let oldestKey: string | null = null;
    let oldest = Infinity;
    for (const [key, subscriber] of this.#byAddress) {
      if (subscriber.lastRequest < oldest) {
        oldest = subscriber.lastRequest;
        oldestKey = key;
      }
    }
    if (oldestKey !== null) {
      this.#byAddress.delete(oldestKey);
      this.evicted++;
    }
  }
}
