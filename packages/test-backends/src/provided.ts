// What the global setup hands to the tests (vitest's provide/inject).
declare module "vitest" {
  export interface ProvidedContext {
    testBackends: { dynamoEndpoint: string; redisHost: string; redisPort: number };
  }
}

export {};
