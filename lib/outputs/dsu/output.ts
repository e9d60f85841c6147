/**
 * The DSU ("cemuhook") server as a padlink output: emulators such as Cemu,
 * Dolphin and yuzu subscribe over UDP and receive each remote pad as a DSU
 * pad, and their rumble goes back to the pad.
 *
 * Each input event updates the pad's report synchronously in
 * {@linkcode DsuOutput.push}; the changed pads go out at the end of the
 * current burst of events (a microtask), one 100-byte packet per pad per
 * subscriber. A press and release of the same button in one burst still
 * go out as two packets. While subscribed, every pad is re-sent at least
 * every {@linkcode KEEPALIVE_MS}. Sends are bounded by
 * {@linkcode MAX_SENDS_IN_FLIGHT}; past it packets are dropped and counted.
 *
 * @module
 */

import dgram from "node:dgram";
import type { ClientInputEvent, ServerEvent } from "../../server/events.ts";
import type { Output, OutputHost, RumbleCommand } from "../../server/output.ts";
import { applyAxis, applyButton } from "./mapping.ts";
import { applyMotion, applyTouch, batteryCode } from "./sensors.ts";
import {
  BatteryStatus,
  ConnectionType,
  decodeRequest,
  DeviceModel,
  type DropReason,
  DSU_SLOT_COUNT,
  encodeMotorInfo,
  encodePadData,
  encodePortInfo,
  encodeVersionReply,
  macToHex,
  neutralReport,
  type PadReport,
  type PadSelector,
  type SlotDescription,
  SlotState,
  stampPadData,
} from "./protocol.ts";
import { DSU_DEFAULT_HOST, DSU_DEFAULT_PORT } from "./defaults.ts";
import { formatHostPort } from "../../net/host_port.ts";
import { safeText } from "../../wire/safe_text.ts";
import { DSU_MOTOR_COUNT, RumbleForwarder } from "./rumble.ts";
import { padMac, type SlotPin, SlotTable } from "./slots.ts";
import { type Subscriber, SubscriberTable } from "./subscriptions.ts";

/** Longest a subscribed pad goes without a packet (the issue asks for at most 500 ms). */
export const KEEPALIVE_MS = 250;

/** How often subscriptions are expired and idle pads re-sent. */
const TICK_MS = 50;

/**
 * Datagrams handed to the socket and not yet sent, past which new ones are
 * dropped: about a second of four pads at 250 Hz to one emulator.
 */
export const MAX_SENDS_IN_FLIGHT = 1024;

/** Options for {@linkcode DsuOutput.start}. */
export interface DsuOptions {
  /** Address to bind; default {@linkcode DSU_DEFAULT_HOST}. */
  hostname?: string;
  /** UDP port; 0 picks a free one. Default {@linkcode DSU_DEFAULT_PORT}. */
  port?: number;
  /** Slots kept for particular pads. */
  pins?: readonly SlotPin[];
  /** Most subscriber addresses at once. */
  maxSubscribers?: number;
  /** Human-readable diagnostics (a refused rumble, a socket error). */
  onLog?: (message: string) => void;
}

/** What a DSU server has counted since it started. */
export interface DsuStats {
  /** Datagrams dropped, by reason. */
  dropped: Record<DropReason, number>;
  /** Subscribers dropped to stay within the bound. */
  subscribersEvicted: number;
  /** Pad-data packets sent. */
  padPackets: number;
  /** Datagrams dropped because too many sends were in flight. */
  sendsDropped: number;
  /** Sends the socket reported failed. */
  sendErrors: number;
  /** Rumble commands sent to the server. */
  rumbleCommands: number;
  /** Rumble commands the server refused. */
  rumbleRefused: number;
}

/** One attached pad, whether it has a slot or waits for one. */
interface PadEntry {
  client: string;
  pad: number;
  mac: Uint8Array;
  macHex: string;
  report: PadReport;
  slot: number | null;
  /** Changes not yet sent. */
  dirty: boolean;
  /** Buttons changed since the last packet: changing one again sends first. */
  changed: Set<string>;
  /** The last motion timestamp sent, µs. */
  lastTimestampUs: number;
  battery: number;
  model: number;
}

function padKey(client: string, pad: number): string {
  return `${pad}\u0000${client}`;
}

const EMPTY_MAC = new Uint8Array(6);

/** Translate a node:dgram bind error into the Deno error the CLI reports. */
function bindError(error: Error & { code?: string }, hostname: string, port: number): Error {
  const where = formatHostPort(hostname, port);
  switch (error.code) {
    case "EADDRINUSE":
      return new Deno.errors.AddrInUse(`UDP ${where} is already in use`);
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAFNOSUPPORT":
      return new Deno.errors.AddrNotAvailable(`cannot bind UDP ${where}: no such address`);
    case "EACCES":
      return new Deno.errors.PermissionDenied(`not allowed to bind UDP ${where}`);
    default:
      return error;
  }
}

/** A running DSU server. */
export class DsuOutput implements Output {
  readonly #socket: dgram.Socket;
  readonly #serverId = crypto.getRandomValues(new Uint32Array(1))[0]!;
  readonly #slots: SlotTable;
  readonly #subscribers: SubscriberTable;
  readonly #pads = new Map<string, PadEntry>();
  readonly #slotPads: (PadEntry | null)[] = new Array(DSU_SLOT_COUNT).fill(null);
  readonly #rumble: RumbleForwarder;
  readonly #onLog: (message: string) => void;
  readonly #logged = new Set<string>();
  readonly #ticker: ReturnType<typeof setInterval>;
  readonly #addr: { hostname: string; port: number };
  #host: OutputHost | null = null;
  #flushScheduled = false;
  #inFlight = 0;
  #closed: Promise<void> | null = null;
  readonly #stats: DsuStats = {
    dropped: {
      "truncated": 0,
      "bad magic": 0,
      "unknown version": 0,
      "bad length": 0,
      "bad CRC": 0,
      "unknown message type": 0,
      "malformed request": 0,
    },
    subscribersEvicted: 0,
    padPackets: 0,
    sendsDropped: 0,
    sendErrors: 0,
    rumbleCommands: 0,
    rumbleRefused: 0,
  };

  private constructor(socket: dgram.Socket, options: DsuOptions) {
    this.#socket = socket;
    const bound = socket.address();
    this.#addr = { hostname: bound.address, port: bound.port };
    this.#slots = new SlotTable(options.pins ?? []);
    this.#subscribers = new SubscriberTable({ maxSubscribers: options.maxSubscribers });
    this.#onLog = options.onLog ?? (() => {});
    this.#rumble = new RumbleForwarder({ send: (command) => this.#command(command) });
    socket.on("message", (message: Uint8Array, remote: dgram.RemoteInfo) => {
      this.#receive(message, remote.address, remote.port);
    });
    socket.on("error", (error: Error) => this.#logOnce(`DSU socket error: ${error.message}`));
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
  }

  /**
   * Bind the UDP socket and start serving.
   *
   * @throws {Deno.errors.AddrInUse} when the port is taken
   * @throws {Deno.errors.AddrNotAvailable} when the address is not this machine's
   * @throws {RangeError} on bad pins
   */
  static start(options: DsuOptions = {}): Promise<DsuOutput> {
    const hostname = options.hostname ?? DSU_DEFAULT_HOST;
    const port = options.port ?? DSU_DEFAULT_PORT;
    new SlotTable(options.pins ?? []); // Check the pins before binding.
    const socket = dgram.createSocket({ type: hostname.includes(":") ? "udp6" : "udp4" });
    return new Promise((resolve, reject) => {
      const onError = (error: Error & { code?: string }) => {
        socket.close();
        reject(bindError(error, hostname, port));
      };
      socket.once("error", onError);
      socket.bind(port, hostname, () => {
        socket.off("error", onError);
        resolve(new DsuOutput(socket, options));
      });
    });
  }

  /** The address the socket is bound to. */
  get addr(): { hostname: string; port: number } {
    return { ...this.#addr };
  }

  /** How many client addresses are subscribed now. */
  get subscribers(): number {
    return this.#subscribers.size;
  }

  /** Counters since start (a copy). */
  get stats(): DsuStats {
    return {
      ...this.#stats,
      dropped: { ...this.#stats.dropped },
      subscribersEvicted: this.#subscribers.evicted,
    };
  }

  /** The id of the next new touch (DSU wants one per continuous touch). */
  #touchIds = 0;

  /** Take the host, and every pad already attached. */
  attach(host: OutputHost): void {
    this.#host = host;
    for (const client of host.snapshot().clients) {
      for (const input of client.inputs) {
        this.push({ ...input, client: client.client } as ClientInputEvent);
      }
    }
  }

  /** Apply one server event. */
  push(event: ServerEvent): void {
    if (this.#closed) return;
    switch (event.type) {
      case "pad":
        if (event.attached) {
          this.#attachPad(event.client, event.pad);
          // A pad that says it has both sensors reports full motion from the start.
          const entry = this.#pads.get(padKey(event.client, event.pad));
          const caps = event.capabilities ?? [];
          if (entry && caps.includes("accel") && caps.includes("gyro")) {
            entry.model = DeviceModel.FULL_GYRO;
          }
        } else {
          this.#detachPad(event.client, event.pad);
        }
        return;
      case "motion": {
        const entry = this.#pads.get(padKey(event.client, event.pad));
        if (!entry) return;
        applyMotion(entry.report, event);
        entry.model = DeviceModel.FULL_GYRO;
        this.#markDirty(entry);
        return;
      }
      case "touch": {
        const entry = this.#pads.get(padKey(event.client, event.pad));
        if (!entry) return;
        if (applyTouch(entry.report, event, () => this.#touchIds++)) this.#markDirty(entry);
        return;
      }
      case "battery": {
        const entry = this.#pads.get(padKey(event.client, event.pad));
        if (!entry) return;
        entry.battery = batteryCode(event);
        this.#markDirty(entry);
        return;
      }
      case "button": {
        const entry = this.#pads.get(padKey(event.client, event.pad));
        if (!entry) return;
        if (entry.changed.has(event.button) && entry.slot !== null) this.#sendPad(entry);
        if (!applyButton(entry.report, event.button, event.pressed)) return;
        entry.changed.add(event.button);
        this.#markDirty(entry);
        return;
      }
      case "axis": {
        const entry = this.#pads.get(padKey(event.client, event.pad));
        if (!entry) return;
        applyAxis(entry.report, event.axis, event.value);
        this.#markDirty(entry);
        return;
      }
      case "disconnect":
        for (const entry of [...this.#pads.values()]) {
          if (entry.client === event.client) this.#detachPad(entry.client, entry.pad);
        }
        return;
      default:
        return;
    }
  }

  /** Stop serving: close the socket and every timer. */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    clearInterval(this.#ticker);
    this.#rumble.close();
    this.#closed = new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    return this.#closed;
  }

  #attachPad(client: string, pad: number): void {
    const key = padKey(client, pad);
    if (this.#pads.has(key)) return;
    const mac = padMac(client, pad);
    const entry: PadEntry = {
      client,
      pad,
      mac,
      macHex: macToHex(mac),
      report: neutralReport(),
      slot: null,
      dirty: false,
      changed: new Set(),
      lastTimestampUs: 0,
      battery: BatteryStatus.NONE,
      model: DeviceModel.PARTIAL_GYRO,
    };
    this.#pads.set(key, entry);
    const slot = this.#slots.attach(client, pad);
    if (slot !== null) this.#seat(entry, slot);
  }

  #detachPad(client: string, pad: number): void {
    const key = padKey(client, pad);
    const entry = this.#pads.get(key);
    if (!entry) return;
    // The releases before a detach must reach the emulator.
    if (entry.dirty && entry.slot !== null) this.#sendPad(entry);
    this.#pads.delete(key);
    this.#rumble.release(client, pad);
    const { freed, promoted } = this.#slots.detach(client, pad);
    if (freed !== null) this.#slotPads[freed] = null;
    if (promoted) {
      const next = this.#pads.get(padKey(promoted.client, promoted.pad));
      if (next) this.#seat(next, promoted.slot);
    }
  }

  #seat(entry: PadEntry, slot: number): void {
    entry.slot = slot;
    this.#slotPads[slot] = entry;
    this.#markDirty(entry);
  }

  #markDirty(entry: PadEntry): void {
    if (entry.slot === null) return;
    entry.dirty = true;
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#closed) return;
    for (const entry of this.#slotPads) if (entry?.dirty) this.#sendPad(entry);
  }

  #describe(slot: number): SlotDescription {
    const entry = this.#slotPads[slot];
    if (!entry) {
      return {
        slot,
        state: SlotState.DISCONNECTED,
        model: DeviceModel.NONE,
        connection: ConnectionType.NONE,
        mac: EMPTY_MAC,
        battery: BatteryStatus.NONE,
      };
    }
    return {
      slot,
      state: SlotState.CONNECTED,
      model: entry.model,
      // The pad is on another machine, reached over padlink: neither USB nor Bluetooth.
      connection: ConnectionType.NONE,
      mac: entry.mac,
      battery: entry.battery,
    };
  }

  /** Send `entry`'s state to every subscriber that wants it, or only to `only`. */
  #sendPad(entry: PadEntry, only?: Subscriber): void {
    const slot = entry.slot!;
    const now = performance.now();
    if (!only) {
      entry.dirty = false;
      entry.changed.clear();
    }
    let body: Uint8Array | null = null;
    const targets = only ? [only] : this.#subscribers.values();
    for (const subscriber of targets) {
      if (!subscriber.wants(slot, entry.macHex, now)) continue;
      body ??= encodePadData(
        this.#serverId,
        this.#describe(slot),
        entry.report,
        this.#stamp(entry),
      );
      const packet = stampPadData(body.slice(), subscriber.nextPacketNumber());
      subscriber.lastSent[slot] = now;
      this.#stats.padPackets++;
      this.#sendTo(packet, subscriber.address, subscriber.port);
    }
  }

  /** The next motion timestamp for a pad: the clock in µs, strictly above the last one. */
  #stamp(entry: PadEntry): number {
    const now = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    entry.lastTimestampUs = Math.max(now, entry.lastTimestampUs + 1);
    return entry.lastTimestampUs;
  }

  #sendTo(packet: Uint8Array, address: string, port: number): void {
    if (this.#inFlight >= MAX_SENDS_IN_FLIGHT) {
      this.#stats.sendsDropped++;
      return;
    }
    this.#inFlight++;
    try {
      this.#socket.send(packet, port, address, (error) => {
        this.#inFlight--;
        if (error) this.#stats.sendErrors++;
      });
    } catch {
      this.#inFlight--;
      this.#stats.sendErrors++;
    }
  }

  #tick(): void {
    const now = performance.now();
    this.#subscribers.expire(now);
    for (const subscriber of this.#subscribers.values()) {
      for (const entry of this.#slotPads) {
        if (!entry || now - subscriber.lastSent[entry.slot!]! < KEEPALIVE_MS) continue;
        this.#sendPad(entry, subscriber);
      }
    }
  }

  #receive(datagram: Uint8Array, address: string, port: number): void {
    if (this.#closed) return;
    const result = decodeRequest(datagram);
    if (!result.ok) {
      this.#stats.dropped[result.reason]++;
      return;
    }
    const request = result.request;
    switch (request.type) {
      case "version":
        this.#sendTo(encodeVersionReply(this.#serverId), address, port);
        return;
      case "port_info":
        for (const slot of request.slots) {
          this.#sendTo(encodePortInfo(this.#serverId, this.#describe(slot)), address, port);
        }
        return;
      case "pad_data": {
        const now = performance.now();
        const subscriber = this.#subscribers.subscribe(address, port, request.selector, now);
        // A new subscription gets the pads at once; a renewal (Cemu renews after
        // every packet) waits for the next change or keepalive.
        for (const entry of this.#slotPads) {
          if (entry && now - subscriber.lastSent[entry.slot!]! >= KEEPALIVE_MS) {
            this.#sendPad(entry, subscriber);
          }
        }
        return;
      }
      case "motor_info":
        for (const slot of this.#selectSlots(request.selector, true)) {
          const motors = this.#slotPads[slot] ? DSU_MOTOR_COUNT : 0;
          this.#sendTo(
            encodeMotorInfo(this.#serverId, this.#describe(slot), motors),
            address,
            port,
          );
        }
        return;
      case "rumble":
        for (const slot of this.#selectSlots(request.selector, false)) {
          const entry = this.#slotPads[slot]!;
          this.#rumble.set(entry.client, entry.pad, request.motor, request.intensity);
        }
        return;
    }
  }

  /**
   * The slots a selector names: with `all`, the occupied ones; by slot,
   * that slot (occupied or not when `includeEmpty`); by MAC, the pad with it.
   */
  #selectSlots(selector: PadSelector, includeEmpty: boolean): number[] {
    const slots: number[] = [];
    for (let slot = 0; slot < DSU_SLOT_COUNT; slot++) {
      const entry = this.#slotPads[slot] ?? null;
      const named = selector.slot === slot || (entry !== null && selector.mac === entry.macHex);
      if ((selector.all && entry) || (named && (entry || includeEmpty))) slots.push(slot);
    }
    return slots;
  }

  #command(command: RumbleCommand): void {
    this.#stats.rumbleCommands++;
    const host = this.#host;
    if (!host) {
      this.#stats.rumbleRefused++;
      return;
    }
    host.command(command).then((result) => {
      if (result.ok) return;
      this.#stats.rumbleRefused++;
      this.#logOnce(
        `DSU rumble for ${safeText(command.client)} pad ${command.pad} not delivered: ${
          safeText(result.error)
        }`,
      );
    }, (error: unknown) => {
      this.#stats.rumbleRefused++;
      this.#logOnce(
        `DSU rumble for ${safeText(command.client)} pad ${command.pad} failed: ${
          safeText(String(error))
        }`,
      );
    });
  }

  /** Log a message the first time it occurs (bounded memory). */
  #logOnce(message: string): void {
    if (this.#logged.has(message)) return;
    if (this.#logged.size >= 100) this.#logged.clear();
    this.#logged.add(message);
    this.#onLog(message);
  }
}
