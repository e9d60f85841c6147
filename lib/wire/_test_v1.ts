/**
 * Test fixture: frames exactly as the first release of the protocol (before
 * capabilities and extended types) put them on the wire, frozen as hex so
 * that no later change to the encoders can change them. Tests play a
 * first-release peer with these bytes.
 *
 * @module
 */

/** Bytes from hex with optional spaces. */
export function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  const digits = hex.replace(/\s+/g, "");
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A first-release HELLO: magic PADL, version 1, flags 0 (no token), nonce 0x10..0x1f. */
export const V1_HELLO_FRAME: Uint8Array = hexBytes(
  "0017 01 5041444c 01 00 101112131415161718191a1b1c1d1e1f",
);

/** A first-release JOIN: version 1, flags 0, name "alice", nonce 0x00..0x0f, no proof. */
export const V1_JOIN_FRAME: Uint8Array = hexBytes(
  "001a 02 01 00 05616c696365 000102030405060708090a0b0c0d0e0f 00",
);

/** A first-release WELCOME: name "alice", heartbeat 250 ms, timeout 1000 ms, no proof. */
export const V1_WELCOME_FRAME: Uint8Array = hexBytes("000c 03 05616c696365 00fa 03e8 00");

/**
 * First-release input in one frame: PAD_ATTACH pad 0 "Pad", BUTTON_DOWN pad 0
 * button 0 (a), AXIS pad 0 axis 0 (leftx) 16384.
 */
export const V1_INPUT_FRAME: Uint8Array = hexBytes("000e 10 00 03506164 12 00 00 14 00 00 4000");

/** A first-release GOODBYE, code 0, no reason. */
export const V1_GOODBYE_FRAME: Uint8Array = hexBytes("0003 05 00 00");
