export type { BackendHandle, BackendName } from "./backends.js";
export { BACKEND_NAMES, describeEachBackend } from "./backends.js";
export { type InstrumentOptions, instrumented, type RecordCall, type WriteCall } from "./instrumented.js";
export { prng } from "./random.js";
