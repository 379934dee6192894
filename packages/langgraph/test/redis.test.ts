import { describeOnBackend } from "./support/backend-suites.js";

describeOnBackend("redis");
