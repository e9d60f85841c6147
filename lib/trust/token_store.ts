/**
 * The server's generated token, kept in its config directory so that it
 * survives restarts: clients that reconnect after the server restarted
 * still prove the right token. The file is readable by its owner only
 * (mode 0600), and is written whole or not at all.
 *
 * @module
 */

import { formatToken, generateToken, normalizeToken, TokenError } from "./auth.ts";
import { configPath } from "./config_dir.ts";

/** The token's file name in the config directory. */
export const TOKEN_FILE = "server-token";

/** The stored token cannot be read, used or written. */
export class TokenStoreError extends Error {
  /** True when the file is there but holds no usable token (not a matter of access). */
  readonly damaged: boolean;

  /** Create the error. */
  constructor(message: string, options?: ErrorOptions & { damaged?: boolean }) {
    super(message, options);
    this.name = "TokenStoreError";
    this.damaged = options?.damaged ?? false;
  }
}

/** The token the server uses, and where it is kept. */
export interface StoredToken {
  /** The token, normalised (no dashes). */
  token: string;
  /** The file it is kept in. */
  file: string;
  /** True when this call made it (first start, or `rotate`). */
  created: boolean;
}

/** Options for {@linkcode loadOrCreateToken}. */
export interface TokenStoreOptions {
  /** Make a new token and replace the stored one (`--new-token`). */
  rotate?: boolean;
}

/**
 * Read the token kept in `dir`, or make one and keep it there (mode 0600).
 * Two servers starting at once with the same directory end up with the same
 * token: the file is linked into place only if none is there yet.
 *
 * @param dir The config directory; made (mode 0700) when missing.
 * @param options `rotate` replaces the stored token with a new one.
 * @returns the token and its file.
 * @throws {TokenStoreError} when the file is damaged, or cannot be read or written.
 *
 * @example Usage
 * ```ts
 * import { loadOrCreateToken } from "./token_store.ts";
 * const dir = await Deno.makeTempDir();
 * const first = await loadOrCreateToken(dir);
 * const again = await loadOrCreateToken(dir);
 * if (!first.created || again.created || again.token !== first.token) throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadOrCreateToken(
  dir: string,
  options: TokenStoreOptions = {},
): Promise<StoredToken> {
  const file = configPath(dir, TOKEN_FILE);
  if (!options.rotate) {
    const kept = await readToken(file);
    if (kept !== null) return { token: kept, file, created: false };
  }
  const token = normalizeToken(generateToken());
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    // Written whole under a temporary name first, so no reader sees half a token.
    const temporary = configPath(dir, `.${TOKEN_FILE}.${crypto.randomUUID()}`);
    await Deno.writeTextFile(temporary, `${formatToken(token)}\n`, {
      mode: 0o600,
      createNew: true,
    });
    try {
      if (options.rotate) {
        await Deno.rename(temporary, file);
        return { token, file, created: true };
      }
      try {
        await Deno.link(temporary, file);
      } catch (error) {
        // Another server made it first: use that one.
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        const kept = await readToken(file);
        if (kept !== null) return { token: kept, file, created: false };
        throw error;
      }
    } finally {
      await Deno.remove(temporary).catch(() => {});
    }
  } catch (error) {
    if (error instanceof TokenStoreError) throw error;
    throw new TokenStoreError(
      `cannot keep the token in ${dir}: ${
        (error as Error).message
      }; pass a writable --config-dir, or give one with PADLINK_TOKEN`,
      { cause: error },
    );
  }
  return { token, file, created: true };
}

/** The token in `file`, or null when there is none. */
async function readToken(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new TokenStoreError(
      `cannot read the token in ${file}: ${
        (error as Error).message
      }; pass another --config-dir, or give a token with PADLINK_TOKEN`,
      { cause: error },
    );
  }
  try {
    return normalizeToken(text.trim());
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    throw new TokenStoreError(
      `the token kept in ${file} is damaged (${error.message}); run with --new-token to replace it`,
      { damaged: true },
    );
  }
}
