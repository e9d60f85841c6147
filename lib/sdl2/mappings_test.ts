import assert from "node:assert/strict";
import { mappingsProblem } from "./mappings.ts";

const X360 = "030000005e0400008e02000014010000,X360 Controller,a:b0,b:b1,leftx:a0,platform:Linux,";

Deno.test("mappingsProblem accepts mappings with comments, blank lines and CRLF", () => {
  assert.equal(
    mappingsProblem(`# Game Controller DB\r\n\r\n${X360}\r\nxinput,XInput,a:b0,\r\n`),
    null,
  );
});

Deno.test("mappingsProblem names the first line that is not a mapping", () => {
  assert.match(mappingsProblem(`${X360}\n{"json": true}\n`)!, /^line 2 is not/);
  assert.match(mappingsProblem("\u0000\u0001binary")!, /^line 1 is not/);
  assert.match(mappingsProblem("0300,short guid,a:b0,")!, /^line 1 is not/);
});

Deno.test("mappingsProblem refuses a file with no mapping at all", () => {
  assert.match(mappingsProblem("")!, /holds no SDL controller mappings/);
  assert.match(mappingsProblem("# only a comment\n\n")!, /holds no SDL controller mappings/);
});
