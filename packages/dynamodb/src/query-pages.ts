import type { QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import type { DynamoDocumentMethods } from "./client.js";
import { toStoreError } from "./errors.js";

type Item = Record<string, unknown>;

/**
 * Every page of a Query (DynamoDB stops a page at 1 MB), each handed to `onPage` before the next one is
 * requested. SDK errors become store errors that name `operation`.
 */
export async function forEachQueryPage(
  client: Pick<DynamoDocumentMethods, "query">,
  input: QueryCommandInput,
  operation: string,
  onPage: (items: Item[]) => Promise<void> | void,
): Promise<void> {
  let startKey: Item | undefined;
  do {
    let output: Awaited<ReturnType<DynamoDocumentMethods["query"]>>;
    try {
      output = await client.query(startKey === undefined ? input : { ...input, ExclusiveStartKey: startKey });
    } catch (error) {
      throw toStoreError(error, operation);
    }
    await onPage(output.Items ?? []);
    startKey = output.LastEvaluatedKey;
  } while (startKey !== undefined);
}
