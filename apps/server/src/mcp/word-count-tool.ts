import type { StateStore } from "@agent-state/core";
import { defineSessionTool, type SessionToolDefinition } from "@agent-state/mcp";
import { z } from "zod";

/** How long word counts stay in the tool cache. */
export const WORD_COUNT_TTL_SECONDS = 600;

/** The counts `word_count` returns. */
export interface WordCount {
  words: number;
  characters: number;
  lines: number;
  uniqueWords: number;
  [key: string]: number;
}

/** Counts words (runs of letters, digits, apostrophes), characters (code points), lines and distinct words. */
export function countWords(text: string): WordCount {
  const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
  return {
    words: words.length,
    characters: [...text].length,
    lines: text.length === 0 ? 0 : text.split(/\r\n|\r|\n/).length,
    uniqueWords: new Set(words).size,
  };
}

const wordCountInput = z.object({ text: z.string().max(100_000) });

/**
 * The example tool: a deterministic word count wrapped with the session glue, so each call is recorded in
 * the caller's session and repeated texts are answered from the tool cache (with their hit count): the
 * caller's own entries, or one entry per text for everyone with `shared`. Defined once per store;
 * `register(server, { userId })` per caller.
 */
export function defineWordCountTool(
  store: StateStore,
  options: { shared?: boolean } = {},
): SessionToolDefinition {
  return defineSessionTool(
    store,
    "word_count",
    {
      description:
        "Count words, characters, lines and distinct words of a text. Runs inside a session (recorded as " +
        "messages; state.wordCounts counts calls) and caches results per text.",
      inputSchema: wordCountInput,
      annotations: { readOnlyHint: false, idempotentHint: true },
      // Per user unless `shared`: `cached: true` would otherwise tell a user what text another one counted.
      cache: { ttlSeconds: WORD_COUNT_TTL_SECONDS, shared: options.shared === true },
      checkpoint: (state, call) => ({
        ...state,
        wordCounts: (typeof state.wordCounts === "number" ? state.wordCounts : 0) + 1,
        lastWordCount: call.result,
      }),
    },
    ({ text }) => countWords(text),
  );
}
