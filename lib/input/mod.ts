/**
 * The input model: pads, buttons, axes and keys as events, the state they
 * build up, axis maths, and the pipeline (numbering, deadzone, rate
 * coalescing) that turns raw device input into events, and the pacing of
 * feedback (rumble, LED) back to a pad, and remapping (`remap.ts`).
 *
 * The bottom layer: it imports nothing else of padlink.
 *
 * @module
 */

export * from "./coalescer.ts";
export * from "./feedback_pacer.ts";
export * from "./model.ts";
export * from "./pipeline.ts";
export * from "./remap.ts";
