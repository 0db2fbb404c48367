/** A worker-side operation was called in a process whose module runs in `mode: 'ingest'`. */
export class WorkerModeRequiredError extends Error {
  constructor(operation: string) {
    super(
      `OpenSmsWebhookModule runs in mode 'ingest': ${operation} runs in worker processes. Call it in a ` +
        "process whose module has mode 'all' or 'worker'.",
    );
    this.name = 'WorkerModeRequiredError';
  }
}
