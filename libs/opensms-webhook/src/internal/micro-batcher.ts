/**
 * Groups calls that arrive while a previous batch is in flight into one batch, so that a burst of
 * requests costs one round trip per batch instead of one per request. An idle caller is sent at
 * once, alone: batching adds no latency.
 */
export class MicroBatcher<Item, Result> {
  private pending: { item: Item; since: number; resolve: (result: Result) => void; reject: (error: unknown) => void }[] = [];
  private inFlight = 0;

  /**
   * @param send handles a batch; must return one result per item, in order
   * @param maxBatch largest batch sent at once
   * @param maxInFlight batches sent concurrently before new items wait for one to finish
   * @param maxPending items waiting (not yet sent) beyond which {@link isFull} is true
   */
  constructor(
    private readonly send: (items: Item[]) => Promise<Result[]>,
    private readonly maxBatch = 100,
    private readonly maxInFlight = 4,
    private readonly maxPending = Infinity,
  ) {}

  /** `maxPending` items already wait: callers should refuse new work instead of adding it. */
  get isFull(): boolean {
    return this.pending.length >= this.maxPending;
  }

  /** Milliseconds the longest-waiting item not yet sent has waited; 0 when none waits. */
  get oldestWaitMs(): number {
    return this.pending.length === 0 ? 0 : performance.now() - this.pending[0].since;
  }

  add(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.pending.push({ item, since: performance.now(), resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight++;
      this.send(batch.map((entry) => entry.item))
        .then(
          (results) => batch.forEach((entry, index) => entry.resolve(results[index])),
          (error) => batch.forEach((entry) => entry.reject(error)),
        )
        .finally(() => {
          this.inFlight--;
          this.drain();
        });
    }
  }
}
