export { awaitLocalCommits } from "./durable-commits.js";
export {
  type DynamoDbLocalExit,
  type DynamoDbLocalServer,
  pickFreePort,
  type StartDynamoDbLocalOptions,
  startDynamoDbLocal,
} from "./start.js";
