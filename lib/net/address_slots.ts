/**
 * A bounded table of connections that have not yet earned their keep (not
 * yet handshaken, a pairing exchange in progress), shared fairly between
 * peer addresses. It never turns the newcomer away: when the table is full,
 * the oldest connection of the address that holds the most goes first. So
 * one address flooding the table cannot keep another out; at worst it
 * evicts its own connections.
 *
 * @module
 */

/** Options for {@linkcode AddressSlots}. */
export interface AddressSlotsOptions {
  /** Most connections held in all. */
  total: number;
  /** Most connections held for one address. */
  perAddress: number;
}

/**
 * Connections (any value) held per peer address, within a total and a
 * per-address share.
 *
 * @example Usage
 * ```ts
 * import { AddressSlots } from "./address_slots.ts";
 * const slots = new AddressSlots<string>({ total: 3, perAddress: 2 });
 * slots.admit("10.0.0.1", "a1");
 * slots.admit("10.0.0.1", "a2");
 * // The address's share is full: its oldest goes.
 * if (slots.admit("10.0.0.1", "a3") !== "a1") throw new Error();
 * slots.admit("10.0.0.2", "b1");
 * // The table is full: the oldest of the address holding the most goes.
 * if (slots.admit("10.0.0.3", "c1") !== "a2") throw new Error();
 * ```
 */
export class AddressSlots<T> {
  readonly #total: number;
  readonly #perAddress: number;
  /** Per address, its connections oldest first. */
  readonly #held = new Map<string, T[]>();
  #size = 0;

  /** Create an empty table. */
  constructor(options: AddressSlotsOptions) {
    if (!(options.total >= 1 && options.perAddress >= 1)) {
      throw new RangeError(
        `slots need a total and a per-address share of at least 1, got ${options.total} and ${options.perAddress}`,
      );
    }
    this.#total = options.total;
    this.#perAddress = Math.min(options.perAddress, options.total);
  }

  /** Connections held now. */
  get size(): number {
    return this.#size;
  }

  /** Connections held now for `address`. */
  heldBy(address: string): number {
    return this.#held.get(address)?.length ?? 0;
  }

  /**
   * Take `item` in for `address`. When that address's share is full, its
   * own oldest connection makes room; when the whole table is full, the
   * oldest connection of the address holding the most does.
   *
   * @returns the connection that was let go to make room (the caller closes
   * it), or null when there was room.
   */
  admit(address: string, item: T): T | null {
    let evicted: T | null = null;
    const own = this.#held.get(address);
    if (own && own.length >= this.#perAddress) {
      evicted = this.#evictOldest(address);
    } else if (this.#size >= this.#total) {
      evicted = this.#evictOldest(this.#heaviest());
    }
    const list = this.#held.get(address) ?? [];
    if (list.length === 0) this.#held.set(address, list);
    list.push(item);
    this.#size++;
    return evicted;
  }

  /**
   * Take out the oldest connection of the address holding the most, to
   * free what it holds (the process ran out of file descriptors).
   *
   * @returns it (the caller closes it), or null when the table is empty.
   */
  evictOne(): T | null {
    return this.#size === 0 ? null : this.#evictOldest(this.#heaviest());
  }

  /** Let `item` go (it finished or closed). Unknown items are ignored. */
  release(address: string, item: T): void {
    const list = this.#held.get(address);
    if (!list) return;
    const index = list.indexOf(item);
    if (index < 0) return;
    list.splice(index, 1);
    this.#size--;
    if (list.length === 0) this.#held.delete(address);
  }

  /** The address holding the most connections (the first such one on a tie). */
  #heaviest(): string {
    let heaviest = "";
    let most = 0;
    for (const [address, list] of this.#held) {
      if (list.length > most) {
        most = list.length;
        heaviest = address;
      }
    }
    return heaviest;
  }

  #evictOldest(address: string): T | null {
    const list = this.#held.get(address);
    const oldest = list?.shift();
    if (oldest === undefined) return null;
    this.#size--;
    if (list!.length === 0) this.#held.delete(address);
    return oldest;
  }
}
