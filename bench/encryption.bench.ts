/** `withEncryption`'s cost on memory (ratio to the bare store) and on DynamoDB Local (requests, RCU, WCU). */
export { default } from "../packages/encryption/test/support/bench.js";
