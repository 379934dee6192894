export {
  type DynamoDbLocalServer,
  pickFreePort,
  type StartDynamoDbLocalOptions,
  startDynamoDbLocal,
} from "./start.js";
