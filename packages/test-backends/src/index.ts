export type { BackendHandle, BackendName } from "./backends.js";
export { BACKEND_NAMES, describeEachBackend } from "./backends.js";
export { instrumented, type WriteCall } from "./instrumented.js";
export { prng } from "./prng.js";
