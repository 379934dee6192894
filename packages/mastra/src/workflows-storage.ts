import { createSortableIdGenerator, type Json, type RecordStore, type StoredRecord } from "@agent-state/core";
import {
  createEmptyWorkflowSnapshot,
  getSnapshotMemoryInfo,
  matchesExpectedWorkflowStatus,
  mergeWorkflowStepResult,
  normalizePerPage,
  type StorageListWorkflowRunsInput,
  type UpdateWorkflowStateOptions,
  type WorkflowRun,
  type WorkflowRuns,
  WorkflowsStorage,
} from "@mastra/core/storage";
import type { StepResult, WorkflowRunState } from "@mastra/core/workflows";
import { pack, revive } from "./codec.js";
import { type Layout, workflowKey } from "./layout.js";
import { isConflict } from "./thread-scope.js";

/** A run as stored: Mastra's row, times in ms, the snapshot packed, and a first-save sequence. */
interface StoredRun {
  workflow_name: string;
  run_id: string;
  resourceId: Json;
  snapshot: Json;
  createdAt: number;
  updatedAt: number;
  seq: string;
}

type Run = {
  workflow_name: string;
  run_id: string;
  resourceId: string | undefined;
  snapshot: WorkflowRunState;
  createdAt: Date;
  updatedAt: Date;
  seq: string;
};

/**
 * Mastra's workflows domain (run snapshots) on agent-state records, one record per run. Behaves as
 * Mastra's `WorkflowsInMemory` does, call for call. Step results and state changes are read-modify-writes
 * conditioned on the record's version, so concurrent steps never lose one another's result.
 */
export class AgentStateWorkflowsStorage extends WorkflowsStorage {
  readonly #records: RecordStore;
  readonly #scope: string;
  readonly #nextSeq = createSortableIdGenerator();

  constructor(records: RecordStore, where: Layout) {
    super();
    this.#records = records;
    this.#scope = where.workflows;
  }

  supportsConcurrentUpdates(): boolean {
    return true;
  }

  async dangerouslyClearAll(): Promise<void> {
    await this.#records.clear(this.#scope);
  }

  async updateWorkflowResults({
    workflowName,
    runId,
    stepId,
    result,
    requestContext,
  }: {
    workflowName: string;
    runId: string;
    stepId: string;
    result: StepResult<unknown, unknown, unknown, unknown>;
    requestContext: Record<string, unknown>;
  }): Promise<Record<string, StepResult<unknown, unknown, unknown, unknown>>> {
    const outcome = await this.#change(workflowName, runId, (run) => {
      const snapshot = run.snapshot ?? createEmptyWorkflowSnapshot(run.run_id);
      if (!snapshot?.context) throw new Error(`Snapshot not found for runId ${runId}`);
      const context = mergeWorkflowStepResult({ snapshot, stepId, result, requestContext });
      return { run: { ...run, snapshot }, result: context };
    });
    return (outcome ?? {}) as Record<string, StepResult<unknown, unknown, unknown, unknown>>;
  }

  async updateWorkflowState({
    workflowName,
    runId,
    opts,
  }: {
    workflowName: string;
    runId: string;
    opts: UpdateWorkflowStateOptions;
  }): Promise<WorkflowRunState | undefined> {
    return this.#change(workflowName, runId, (run) => {
      const current = run.snapshot ?? createEmptyWorkflowSnapshot(run.run_id);
      if (!current?.context) throw new Error(`Snapshot not found for runId ${runId}`);
      const { expectedStatus, ...state } = opts as UpdateWorkflowStateOptions & { expectedStatus?: unknown };
      if (!matchesExpectedWorkflowStatus(current.status, expectedStatus as never)) {
        return run.snapshot ? null : { run: { ...run, snapshot: current }, result: undefined };
      }
      const snapshot = { ...current, ...state } as WorkflowRunState;
      return { run: { ...run, snapshot }, result: snapshot };
    });
  }

  async persistWorkflowSnapshot({
    workflowName,
    runId,
    resourceId,
    snapshot,
    createdAt,
    updatedAt,
  }: {
    workflowName: string;
    runId: string;
    resourceId?: string;
    snapshot: WorkflowRunState;
    createdAt?: Date;
    updatedAt?: Date;
  }): Promise<void> {
    const key = workflowKey(workflowName, runId);
    for (;;) {
      const [record] = await this.#records.get(this.#scope, [key]);
      const existing = record ? toRun(record) : null;
      const now = new Date();
      const run: Run = {
        workflow_name: workflowName,
        run_id: runId,
        resourceId: resourceId ?? existing?.resourceId,
        snapshot,
        createdAt: createdAt ?? existing?.createdAt ?? now,
        updatedAt: updatedAt ?? now,
        seq: existing?.seq ?? this.#nextSeq(),
      };
      try {
        await this.#records.write(this.#scope, [
          { put: key, value: fromRun(run), ifVersion: record?.version ?? 0 },
        ]);
        return;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
  }

  async loadWorkflowSnapshot({
    workflowName,
    runId,
  }: {
    workflowName: string;
    runId: string;
  }): Promise<WorkflowRunState | null> {
    const [record] = await this.#records.get(this.#scope, [workflowKey(workflowName, runId)]);
    return record ? (toRun(record).snapshot ?? null) : null;
  }

  async listWorkflowRuns({
    workflowName,
    fromDate,
    toDate,
    perPage,
    page,
    resourceId,
    threadId,
    status,
  }: StorageListWorkflowRunsInput = {}): Promise<WorkflowRuns> {
    if (page !== undefined && page < 0) throw new Error("page must be >= 0");
    let runs = await this.#all(workflowName);
    if (status) runs = runs.filter((run) => run.snapshot && run.snapshot.status === status);
    if (fromDate) runs = runs.filter((run) => run.createdAt.getTime() >= fromDate.getTime());
    if (toDate) runs = runs.filter((run) => run.createdAt.getTime() <= toDate.getTime());
    if (resourceId) runs = runs.filter((run) => run.resourceId === resourceId);
    if (threadId)
      runs = runs.filter((run) => run.snapshot && getSnapshotMemoryInfo(run.snapshot)?.threadId === threadId);
    const total = runs.length;
    runs.sort(newestFirst);
    if (perPage !== undefined && page !== undefined) {
      const size = normalizePerPage(perPage, Number.MAX_SAFE_INTEGER);
      runs = runs.slice(page * size, page * size + size);
    }
    return { runs: runs.map(toWorkflowRun), total };
  }

  async getWorkflowRunById({
    runId,
    workflowName,
  }: {
    runId: string;
    workflowName?: string;
  }): Promise<WorkflowRun | null> {
    let runs: Run[];
    if (workflowName) {
      const [record] = await this.#records.get(this.#scope, [workflowKey(workflowName, runId)]);
      runs = record ? [toRun(record)] : [];
    } else {
      runs = (await this.#all(undefined)).filter((run) => run.run_id === runId).sort(newestFirst);
    }
    const run = runs[0];
    return run ? toWorkflowRun(run) : null;
  }

  async deleteWorkflowRunById({
    runId,
    workflowName,
  }: {
    runId: string;
    workflowName: string;
  }): Promise<void> {
    await this.#records.write(this.#scope, [{ delete: workflowKey(workflowName, runId) }]);
  }

  /** Every run (of `workflowName`, when given: its keys share a prefix). */
  async #all(workflowName: string | undefined): Promise<Run[]> {
    const runs: Run[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#records.range(this.#scope, {
        limit: 1000,
        ...(workflowName && { prefix: workflowKey(workflowName, "") }),
        ...(cursor !== undefined && { cursor }),
      });
      for (const record of page.items) runs.push(toRun(record));
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    return runs;
  }

  /** Read-modify-write of one run, retried on a concurrent change; undefined when there is no run. */
  async #change<T>(
    workflowName: string,
    runId: string,
    change: (run: Run) => { run: Run; result: T } | null,
  ): Promise<T | undefined> {
    const key = workflowKey(workflowName, runId);
    for (;;) {
      const [record] = await this.#records.get(this.#scope, [key]);
      if (!record) return undefined;
      const planned = change(toRun(record));
      if (!planned) return undefined;
      try {
        await this.#records.write(this.#scope, [
          { put: key, value: fromRun(planned.run), ifVersion: record.version },
        ]);
        return planned.result;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
  }
}

function toRun(record: StoredRecord): Run {
  const stored = record.value as unknown as StoredRun;
  return {
    workflow_name: stored.workflow_name,
    run_id: stored.run_id,
    resourceId: revive(stored.resourceId) as string | undefined,
    snapshot: parsed(revive(stored.snapshot)),
    createdAt: new Date(stored.createdAt),
    updatedAt: new Date(stored.updatedAt),
    seq: stored.seq,
  };
}

/** A snapshot persisted as a JSON string is read back parsed, as Mastra's in-memory store does. */
function parsed(snapshot: unknown): WorkflowRunState {
  return (typeof snapshot === "string" ? JSON.parse(snapshot) : snapshot) as WorkflowRunState;
}

function fromRun(run: Run): Json {
  const stored: StoredRun = {
    workflow_name: run.workflow_name,
    run_id: run.run_id,
    resourceId: pack(run.resourceId, "resourceId"),
    snapshot: pack(run.snapshot, "snapshot"),
    createdAt: new Date(run.createdAt).getTime(),
    updatedAt: new Date(run.updatedAt).getTime(),
    seq: run.seq,
  };
  return stored as unknown as Json;
}

/** Newest createdAt first; equal times in first-save order (Mastra sorts its Map stably). */
function newestFirst(a: Run, b: Run): number {
  const byTime = b.createdAt.getTime() - a.createdAt.getTime();
  if (byTime !== 0) return byTime;
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

function toWorkflowRun(run: Run): WorkflowRun {
  const { seq: _seq, ...row } = run;
  return {
    ...row,
    runId: run.run_id,
    workflowName: run.workflow_name,
    resourceId: run.resourceId,
  } as WorkflowRun;
}
