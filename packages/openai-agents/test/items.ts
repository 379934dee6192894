import type { AgentInputItem } from "@openai/agents-core";

/** One item of every kind the SDK stores, with the awkward values: bytes, undefined, "$" keys, unicode. */
export const SAMPLE_ITEMS: AgentInputItem[] = [
  { role: "user", content: "What's the weather in Oslo? 🌦" },
  {
    type: "message",
    role: "user",
    content: [
      { type: "input_text", text: "and in Bergen" },
      { type: "input_image", image: "https://example.com/a.png", detail: "low" },
    ],
  },
  { role: "system", content: "Be brief." },
  {
    type: "message",
    role: "assistant",
    id: "msg_1",
    status: "completed",
    content: [{ type: "output_text", text: "Sunny." }],
  },
  {
    type: "function_call",
    callId: "call_1",
    name: "weather",
    arguments: '{"city":"Oslo"}',
    status: "completed",
  },
  {
    type: "function_call_result",
    callId: "call_1",
    name: "weather",
    status: "completed",
    output: [
      { type: "image", image: { data: new Uint8Array([137, 80, 78, 71, 0, 255]), mediaType: "image/png" } },
    ],
  },
  {
    type: "function_call_result",
    callId: "call_2",
    name: "t",
    status: "completed",
    output: { type: "text", text: "ok" },
  },
  {
    type: "reasoning",
    id: "rs_1",
    content: [{ type: "input_text", text: "thinking" }],
    providerData: { $ref: "x", $$odd: 1, plain: undefined },
  },
  { type: "compaction", encrypted_content: "opaque-blob", id: "cmp_1" },
  {
    type: "hosted_tool_call",
    name: "web_search",
    id: "ws_1",
    status: "completed",
    providerData: { nested: [null, { deep: true }] },
  },
  { type: "unknown", id: "u_1", providerData: { anything: "goes" } },
] as AgentInputItem[];

export { prng } from "@agent-state/test-backends";
