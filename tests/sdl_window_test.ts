/**
 * The client's window through the real entrypoint under Xvfb: it draws each
 * pad's state (pixels read back from the X server), its title follows the
 * connection, and a window destroyed or cut off by the X server ends the
 * client like a normal close. Also: window mode with no display, and
 * `--list`. Needs xvfb and xdotool (`sh tools/ensure_deps.sh`).
 */

import assert from "node:assert/strict";
import { buttonRect, COLORS } from "../lib/sdl2/pad_view.ts";
import { type Proc, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import {
  closeWindow,
  destroyWindow,
  findWindow,
  retry,
  run,
  windowPixel,
  withXvfb,
} from "./_xvfb.ts";

/** A pad attached at once, its "a" pressed after `pressAt` ms and held for a minute. */
function holdA(pressAt: number): Record<string, unknown>[] {
  return [
    { t: 0, type: "pad", pad: 0, attached: true, name: "Window Test Pad" },
    { t: pressAt, type: "button", pad: 0, button: "a", pressed: true },
    { t: pressAt + 60000, type: "button", pad: 0, button: "a", pressed: false },
  ];
}

/** Wait until the pixel at (x, y) of `window` has colour `want`. */
function waitForPixel(
  display: Parameters<typeof windowPixel>[0],
  window: string,
  [x, y]: [number, number],
  want: readonly number[],
  what: string,
): Promise<boolean> {
  let last: number[] = [];
  return retry(what, () => {
    last = windowPixel(display, window, x, y);
    return Promise.resolve(last.every((v, i) => v === want[i]) ? true : undefined);
  }).catch((error) => {
    throw new Error(`${error.message}; the pixel is ${JSON.stringify(last)}`);
  });
}

function centre(rect: { x: number; y: number; w: number; h: number }): [number, number] {
  return [rect.x + Math.floor(rect.w / 2), rect.y + Math.floor(rect.h / 2)];
}

async function stopGracefully(client: Proc): Promise<void> {
  client.kill("SIGTERM");
  assert.equal((await client.exit(20000)).code, 0, client.stderr.text);
}

Deno.test("client window: a virtual button press turns its square from outline to filled", async () => {
  const file = await writeReplay(holdA(2500));
  try {
    await withXvfb(async (display) => {
      await using server = await startServer(["--no-auth"]);
      await using client = spawnEntrypoint("client.ts", [
        "--port",
        String(server.port),
        "--name",
        "painter",
        "--virtual",
        file,
      ]);
      await server.stdout.waitFor((l) => l.includes('"pad"'), {
        timeoutMs: 20000,
        what: "the pad",
      });
      const window = await findWindow(display, "padlink");
      const a = centre(buttonRect(0, "a"));
      // Released: the square is an outline, so its centre shows the background.
      await waitForPixel(display, window, a, COLORS.background, "a released square");
      const edge: [number, number] = [buttonRect(0, "a").x, buttonRect(0, "a").y + 5];
      await waitForPixel(display, window, edge, COLORS.released, "a's outline");
      await server.stdout.waitFor((l) => l.includes('"button"'), {
        timeoutMs: 15000,
        what: "the press",
      });
      await waitForPixel(display, window, a, COLORS.pressed, "a pressed square");
      // Its neighbour, not pressed, is unchanged.
      const b = centre(buttonRect(0, "b"));
      assert.deepEqual(windowPixel(display, window, ...b), [...COLORS.background]);
      await stopGracefully(client);
    });
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("client window: the title follows the connection (connected, reconnecting in N s, connected)", async () => {
  const file = await writeReplay(holdA(60000));
  try {
    await withXvfb(async (display) => {
      const first = await startServer(["--no-auth"]);
      const port = first.port;
      await using client = spawnEntrypoint("client.ts", [
        "--port",
        String(port),
        "--name",
        "titled",
        "--virtual",
        file,
      ]);
      await first.stdout.waitFor((l) => l.includes('"pad"'), { timeoutMs: 20000, what: "the pad" });
      const window = await findWindow(display, `connected to 127.0.0.1:${port} as titled`);
      first.kill("SIGTERM");
      await first.exit();
      await first[Symbol.asyncDispose]();
      assert.equal(
        await findWindow(display, `reconnecting to 127.0.0.1:${port} in `),
        window,
      );
      const title = await run("xdotool", ["getwindowname", window], display.env);
      assert.match(
        title,
        /^padlink — (reconnecting to 127\.0\.0\.1:\d+ in \d+\.\d s|connecting to)/,
      );
      await using _second = await startServer(["--no-auth"], { port });
      assert.equal(await findWindow(display, `connected to 127.0.0.1:${port} as titled`), window);
      await stopGracefully(client);
    });
  } finally {
    await Deno.remove(file);
  }
});

for (
  const [how, close] of [
    ["destroyed by another X client (XDestroyWindow)", "destroy"],
    ["killed through the X server (xdotool windowkill)", "kill"],
  ] as const
) {
  Deno.test(`client window ${how}: goodbye, exit 0, no Xlib report`, async () => {
    const file = await writeReplay(holdA(500));
    try {
      await withXvfb(async (display) => {
        await using server = await startServer(["--no-auth"]);
        await using client = spawnEntrypoint("client.ts", [
          "--port",
          String(server.port),
          "--name",
          "closed",
          "--virtual",
          file,
        ]);
        await server.stdout.waitFor((l) => l.includes('"button"'), {
          timeoutMs: 20000,
          what: "the press",
        });
        const window = await findWindow(display, "connected to");
        if (close === "destroy") destroyWindow(display, window);
        else await run("xdotool", ["windowkill", window], display.env);
        const status = await client.exit(20000);
        assert.equal(status.code, 0, client.stderr.text);
        assert.match(
          client.stderr.text,
          close === "destroy"
            ? /the window was destroyed through the X server; stopping/
            : /the X server closed the window's connection; stopping/,
        );
        assert.doesNotMatch(client.stderr.text, /X Error|XIO|BadWindow|\n\s+at /);
        const disconnect = await server.waitEvent({ type: "disconnect" }, { timeoutMs: 5000 });
        assert.match(String(disconnect.event.reason), /client quit/);
        // The held button was released before the goodbye.
        const releases = server.events().filter((e) => e.type === "button" && !e.pressed);
        assert.equal(releases.length, 1, server.stdout.text);
      });
    } finally {
      await Deno.remove(file);
    }
  });
}

Deno.test("client window closed while still connecting: once connected, goodbye and exit 0", async () => {
  const file = await writeReplay(holdA(60000));
  try {
    await withXvfb(async (display) => {
      await using server = await startServer(["--no-auth"]);
      server.kill("SIGSTOP"); // it accepts (backlog) but cannot answer the handshake yet
      try {
        await using client = spawnEntrypoint("client.ts", [
          "--port",
          String(server.port),
          "--name",
          "early",
          "--virtual",
          file,
        ]);
        const window = await findWindow(display, `connecting to 127.0.0.1:${server.port}`);
        closeWindow(display, window);
        await new Promise((resolve) => setTimeout(resolve, 300));
        server.kill("SIGCONT");
        const status = await client.exit(20000);
        assert.equal(status.code, 0, client.stderr.text);
        const disconnect = await server.waitEvent({ type: "disconnect" }, { timeoutMs: 5000 });
        assert.match(String(disconnect.event.reason), /client quit/);
      } finally {
        server.kill("SIGCONT");
      }
    });
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("client window mode with no display: one line suggesting --no-window, exit 1", async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ DISPLAY: "", WAYLAND_DISPLAY: "" }, /neither DISPLAY nor WAYLAND_DISPLAY is set/],
    [
      { DISPLAY: ":4242", WAYLAND_DISPLAY: "" },
      /could not open the padlink window on display :4242/,
    ],
  ];
  for (const [env, pattern] of cases) {
    const client = spawnEntrypoint("client.ts", ["--port", "1"], {
      env: { SDL_VIDEODRIVER: "", ...env },
    });
    const status = await client.exit(20000);
    assert.equal(status.code, 1, client.stderr.text);
    const lines = client.stderr.text.trim().split("\n");
    assert.equal(lines.length, 1, client.stderr.text);
    assert.match(lines[0]!, pattern);
    assert.match(lines[0]!, /run with --no-window/);
  }
});

Deno.test("client --list --virtual FILE: lists the file's pads as SDL sees them, exit 0", async () => {
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "Listed One" },
    { t: 0, type: "pad", pad: 2, attached: true, name: "Listed Two" },
    { t: 10, type: "button", pad: 2, button: "a", pressed: true },
  ]);
  try {
    const plain = spawnEntrypoint("client.ts", ["--list"], {
      env: { SDL_VIDEODRIVER: "dummy" },
    });
    assert.equal((await plain.exit(20000)).code, 0, plain.stderr.text);
    const hardware = plain.stdout.lines.filter((l) => /^ {2}\d+ {2}"/.test(l)).length;
    if (hardware === 0) {
      assert.match(plain.stdout.text, /^SDL \d+\.\d+\.\d+ sees no controllers\. Plug one in/);
    }
    const listed = spawnEntrypoint("client.ts", ["--list", "--virtual", file], {
      env: { SDL_VIDEODRIVER: "dummy" },
    });
    assert.equal((await listed.exit(20000)).code, 0, listed.stderr.text);
    assert.equal(listed.stderr.text, "");
    const lines = listed.stdout.lines.filter((l) => /^ {2}\d+ {2}"/.test(l));
    assert.equal(lines.length, hardware + 2, listed.stdout.text);
    assert.match(listed.stdout.text, new RegExp(`sees ${hardware + 2} controller\\(s\\):`));
    for (const name of ["Listed One", "Listed Two"]) {
      const line = lines.find((l) => l.includes(`"${name}"`));
      assert.match(
        line ?? "",
        /^ {2}\d+ {2}"[^"]+" {2}type: virtual {2}guid: [0-9a-f]{32} {2}mapping: yes$/,
      );
    }
  } finally {
    await Deno.remove(file);
  }
});
