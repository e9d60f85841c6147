import assert from "node:assert/strict";
import { nameFromToken, ServerSubjects, subjectToken } from "./subjects.ts";

Deno.test("subjectToken escapes dots, wildcards, white space, % and non-ASCII, and nothing else", () => {
  assert.equal(subjectToken("alice"), "alice");
  assert.equal(subjectToken("lab.pc 3"), "lab%2Epc%203");
  assert.equal(subjectToken("*>"), "%2A%3E");
  assert.equal(subjectToken("50%"), "50%25");
  assert.equal(subjectToken("tab\there"), "tab%09here");
  assert.equal(subjectToken("José"), "Jos%C3%A9");
  assert.equal(subjectToken("a-b_c~(1)#$"), "a-b_c~(1)#$");
});

Deno.test("nameFromToken undoes subjectToken for every kind of name", () => {
  const names = [
    "alice",
    "lab.pc 3",
    "*",
    ">",
    "a.*.>",
    "50%",
    "José",
    "🎮 pad",
    "x\u00a0y",
    "%2E",
  ];
  for (const name of names) {
    const token = subjectToken(name);
    assert.doesNotMatch(token, /[.*>\s]/, token);
    assert.equal(nameFromToken(token), name);
  }
});

Deno.test("nameFromToken refuses tokens the rule never makes", () => {
  for (const token of ["a.b", "a b", "%2", "%zz", "%41", "%2e", "%C3", "é"]) {
    assert.equal(nameFromToken(token), null, token);
  }
});

Deno.test("ServerSubjects names events, commands, state and gap under the server's token", () => {
  const subjects = new ServerSubjects("lab 1");
  assert.equal(subjects.event("bob.2", "button"), "padlink.lab%201.bob%2E2.button");
  assert.equal(subjects.state, "padlink.lab%201.state");
  assert.equal(subjects.gap, "padlink.lab%201.gap");
  assert.equal(subjects.commands, "padlink.lab%201.*.command");
  assert.equal(subjects.commandClient("padlink.lab%201.bob%2E2.command"), "bob.2");
  assert.equal(subjects.commandClient("padlink.other.bob.command"), null);
  assert.equal(subjects.commandClient("padlink.lab%201.bob.state"), null);
});
