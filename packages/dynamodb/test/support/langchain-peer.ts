import type { DynamoDBClient, DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";

/** LangChain's DynamoDBChatMessageHistory (loaded lazily: it is a dev dependency, for the benchmark only). */
export class DynamoChatMessageHistoryPeer {
  private constructor(
    private readonly history: {
      client: DynamoDBClient;
      getMessages(): Promise<unknown[]>;
      addMessages(messages: unknown[]): Promise<void>;
    },
    private readonly messages: {
      HumanMessage: new (text: string) => unknown;
      AIMessage: new (text: string) => unknown;
    },
  ) {}

  static async create(options: { tableName: string; sessionId: string; config: DynamoDBClientConfig }) {
    const { DynamoDBChatMessageHistory } = await import("@langchain/community/stores/message/dynamodb");
    const { HumanMessage, AIMessage } = await import("@langchain/core/messages");
    const history = new DynamoDBChatMessageHistory(options);
    return new DynamoChatMessageHistoryPeer(
      history as unknown as DynamoChatMessageHistoryPeer["history"],
      { HumanMessage, AIMessage } as unknown as DynamoChatMessageHistoryPeer["messages"],
    );
  }

  get client(): DynamoDBClient {
    return this.history.client;
  }

  getMessages(): Promise<unknown[]> {
    return this.history.getMessages();
  }

  addTurn(user: string, assistant: string): Promise<void> {
    return this.history.addMessages([
      new this.messages.HumanMessage(user),
      new this.messages.AIMessage(assistant),
    ]);
  }
}
