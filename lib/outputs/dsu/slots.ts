/**
 * Which pad is in which DSU slot, and each pad's MAC address.
 *
 * Slots 0–3 go to pads in the order they attach; a pad keeps its slot while
 * attached and a detach frees it. A pad that finds every slot taken waits,
 * and takes the first slot to free up. A pin (`--dsu-slots alice:0`) keeps
 * a slot for one client's pad: nobody else takes it, even while that pad is
 * away.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { DSU_SLOT_COUNT } from "./protocol.ts";

/** A slot kept for one client's pad. */
export interface SlotPin {
  /** The client's name on the server. */
  client: string;
  /** The pad number on that client. */
  pad: number;
  /** The slot, 0–3. */
  slot: number;
}

/** A pad, named by its client and number. */
export interface PadId {
  /** The client's name on the server. */
  client: string;
  /** The pad number on that client. */
  pad: number;
}

/** What a detach changed: the slot it freed, and the waiting pad that took it. */
export interface DetachResult {
  /** The freed slot, or null when the pad had none. */
  freed: number | null;
  /** A waiting pad that now has the freed slot. */
  promoted: (PadId & { slot: number }) | null;
}

function padKey(client: string, pad: number): string {
  return `${pad}\u0000${client}`;
}

/**
 * A stable MAC address for a client's pad, so an emulator recognises it
 * after a reconnect: the first 6 bytes of SHA-256 over the name and number,
 * marked locally administered and unicast (IEEE 802: bit 1 set, bit 0 clear
 * in the first byte).
 *
 * @example Usage
 * ```ts
 * import { padMac } from "./slots.ts";
 * const mac = padMac("alice", 0);
 * if (mac.length !== 6 || (mac[0]! & 0x03) !== 0x02) throw new Error("local unicast");
 * ```
 */
export function padMac(client: string, pad: number): Uint8Array {
  const digest = createHash("sha256").update(`padlink\u0000${client}\u0000${pad}`).digest();
  const mac = new Uint8Array(digest.subarray(0, 6));
  mac[0] = (mac[0]! & 0xfc) | 0x02;
  return mac;
}

/** The slot table. */
export class SlotTable {
  readonly #pins = new Map<string, number>();
  readonly #pinnedSlots = new Set<number>();
  readonly #occupants: (PadId | null)[] = new Array(DSU_SLOT_COUNT).fill(null);
  readonly #slotOf = new Map<string, number>();
  /** Attached pads without a slot, in attach order. */
  readonly #waiting: PadId[] = [];

  /**
   * An empty table with `pins` kept.
   *
   * @param pins slots kept for particular pads; each slot and pad at most once
   * @throws {RangeError} on a slot out of range or a slot or pad pinned twice
   */
  constructor(pins: readonly SlotPin[] = []) {
    for (const pin of pins) {
      if (!Number.isInteger(pin.slot) || pin.slot < 0 || pin.slot >= DSU_SLOT_COUNT) {
        throw new RangeError(`DSU slot ${pin.slot} does not exist; slots are 0 to 3`);
      }
      if (this.#pinnedSlots.has(pin.slot)) {
        throw new RangeError(`DSU slot ${pin.slot} is pinned twice`);
      }
      const key = padKey(pin.client, pin.pad);
      if (this.#pins.has(key)) {
        throw new RangeError(`${pin.client} pad ${pin.pad} is pinned to two DSU slots`);
      }
      this.#pins.set(key, pin.slot);
      this.#pinnedSlots.add(pin.slot);
    }
  }

  /**
   * A pad attached.
   *
   * @returns its slot, or null when it has to wait for one
   */
  attach(client: string, pad: number): number | null {
    const key = padKey(client, pad);
    const current = this.#slotOf.get(key);
    if (current !== undefined) return current;
    if (this.#waiting.some((w) => w.client === client && w.pad === pad)) return null;
    const pinned = this.#pins.get(key);
    const slot = pinned ?? this.#freeUnpinnedSlot();
    if (slot === null) {
      this.#waiting.push({ client, pad });
      return null;
    }
    this.#occupants[slot] = { client, pad };
    this.#slotOf.set(key, slot);
    return slot;
  }

  /** A pad detached: free its slot, and hand it to the first waiting pad that may have it. */
  detach(client: string, pad: number): DetachResult {
    const key = padKey(client, pad);
    const waitingAt = this.#waiting.findIndex((w) => w.client === client && w.pad === pad);
    if (waitingAt >= 0) this.#waiting.splice(waitingAt, 1);
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return { freed: null, promoted: null };
    this.#slotOf.delete(key);
    this.#occupants[slot] = null;
    if (this.#pinnedSlots.has(slot)) return { freed: slot, promoted: null };
    const next = this.#waiting.findIndex((w) => !this.#pins.has(padKey(w.client, w.pad)));
    if (next < 0) return { freed: slot, promoted: null };
    const [promoted] = this.#waiting.splice(next, 1);
    this.#occupants[slot] = promoted!;
    this.#slotOf.set(padKey(promoted!.client, promoted!.pad), slot);
    return { freed: slot, promoted: { ...promoted!, slot } };
  }

  /** The slot of a pad, or undefined. */
  slotOf(client: string, pad: number): number | undefined {
    return this.#slotOf.get(padKey(client, pad));
  }

  /** The pad in a slot, or null. */
  occupant(slot: number): PadId | null {
    return this.#occupants[slot] ?? null;
  }

  #freeUnpinnedSlot(): number | null {
    for (let slot = 0; slot < DSU_SLOT_COUNT; slot++) {
      if (this.#occupants[slot] === null && !this.#pinnedSlots.has(slot)) return slot;
    }
    return null;
  }
}
