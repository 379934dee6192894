import { registerSessionTool } from "@agent-state/mcp";
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { ToolScope } from "./session-tools.js";

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

/**
 * The example tool: a deterministic word count wrapped with the session glue, so each call is recorded in
 * the caller's session and repeated texts are answered from the tool cache (with their hit count).
 */
export function registerWordCountTool(server: McpServer, { store, userId }: ToolScope): void {
  registerSessionTool(
    server,
    store,
    "word_count",
    {
      description:
        "Count words, characters, lines and distinct words of a text. Runs inside a session (recorded as " +
        "messages; state.wordCounts counts calls) and caches results per text.",
      inputSchema: z.object({ text: z.string().max(100_000) }),
      annotations: { readOnlyHint: false, idempotentHint: true },
      cache: { ttlSeconds: WORD_COUNT_TTL_SECONDS },
      userId,
      checkpoint: (state, call) => ({
        ...state,
        wordCounts: (typeof state.wordCounts === "number" ? state.wordCounts : 0) + 1,
        lastWordCount: call.result,
      }),
    },
    ({ text }) => countWords(text),
  );
}
