/**
 * Game controllers and keyboard through SDL2, as padlink
 * {@linkcode InputEvent}s. Open a source with {@linkcode SdlInput.open};
 * SDL2 is loaded then, never at import time.
 *
 * - `source.ts`: {@linkcode SdlInput}, the main-thread API (SDL runs in a worker).
 * - `library.ts`: finding and loading SDL2, {@linkcode Sdl2NotFoundError}.
 * - `events.ts`: SDL constants and the `SDL_Event` decoder.
 * - `pipeline.ts`, `coalescer.ts`: pad numbering, deadzone, rate limiting.
 *
 * @module
 */

export type { InputEvent } from "../input/model.ts";
export {
  DEFAULT_DEADZONE,
  DEFAULT_RATE_HZ,
  type FeedbackReport,
  SdlInput,
  type SdlInputOptions,
  type VirtualFeedbackReport,
  type VirtualIds,
} from "./source.ts";
export type { FeedbackStopReason, VirtualFeedback } from "./messages.ts";
export type { ControllerInfo } from "./messages.ts";
export {
  loadSdl2,
  type LoadSdl2Options,
  NoDisplayError,
  type Sdl2,
  SDL2_ENV,
  SDL2_SYMBOLS,
  sdl2Candidates,
  sdl2InstallHint,
  Sdl2NotFoundError,
} from "./library.ts";
