/**
 * padlink as a library: carry game-controller and keyboard input over the
 * network.
 *
 * - Server side: {@linkcode PadlinkServer} listens, checks tokens, and
 *   reports every input event (`events()` or `onEvent`), releasing a
 *   client's held inputs whenever it goes away.
 * - Client side: {@linkcode Forwarder} keeps a connection up and in sync;
 *   {@linkcode PadlinkConnection} is one connection; {@linkcode SdlInput}
 *   reads controllers and the keyboard through SDL2.
 * - Building blocks: framing (`frame.ts`), the binary protocol
 *   (`protocol.ts`), the input model (`input.ts`), replay files.
 *
 * @example Drive something from a pad's left stick
 * ```ts ignore
 * import { PadlinkServer } from "./mod.ts";
 * await using server = await PadlinkServer.start({ port: 7175, token: "k7q2-m9xd-3fpa-wz8c" });
 * for await (const event of server.events()) {
 *   if (event.type === "axis" && event.axis === "leftx") console.log(event.value);
 * }
 * ```
 *
 * @module
 */

export * from "./input/model.ts";
export * from "./wire/frame.ts";
export {
  type AnyMessageSink,
  type ClientMessageSink,
  type ControlSink,
  InputEncoder,
  MessageType,
  PROTOCOL_VERSION,
  ProtocolError,
  type ServerMessageSink,
  SessionDecoder,
} from "./wire/protocol.ts";
export { formatToken, generateToken, normalizeToken } from "./trust/auth.ts";
export {
  type ClientInputEvent,
  type ConnectEvent,
  DEFAULT_PORT,
  type DisconnectEvent,
  type ListeningEvent,
  PadlinkServer,
  type ServerEvent,
  type ServerOptions,
} from "./server/server.ts";
export {
  type CloseInfo,
  ConnectError,
  type ConnectOptions,
  PadlinkConnection,
} from "./client/client.ts";
export { Forwarder, type ForwarderEnd, type ForwarderOptions } from "./client/forwarder.ts";
export { parseReplay, playReplay, type ReplayEntry, ReplayError } from "./replay/replay.ts";
export { Recorder, replayLine } from "./replay/recorder.ts";
export { formatHuman, formatJson } from "./outputs/format.ts";
export {
  type ByteWriter,
  type CloseReport,
  DeliveryQueue,
  type DeliveryQueueOptions,
  type OutputNote,
  StreamOutput,
  type StreamOutputOptions,
} from "./outputs/mod.ts";
export { WebOutput, type WebOutputOptions } from "./outputs/web/web_output.ts";
export { SdlInput, type SdlInputOptions } from "./sdl2/source.ts";
export { Sdl2NotFoundError } from "./sdl2/library.ts";
