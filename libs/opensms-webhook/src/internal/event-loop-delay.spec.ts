import { EventLoopDelay } from './event-loop-delay';

function keepBusy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: the sampling timer cannot run
  }
}

describe('EventLoopDelay', () => {
  it('counts the loop as late while it is busy, before its timer could run, and after that timer ran', async () => {
    const delay = new EventLoopDelay(10);
    try {
      keepBusy(300);
      // NOTE: the last tick came before the busy spell began, so the next one is overdue by at least its length minus one interval.
      expect(delay.currentMs()).toBeGreaterThanOrEqual(290);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(delay.currentMs()).toBeGreaterThanOrEqual(290);
    } finally {
      delay.stop();
    }
  });
});
