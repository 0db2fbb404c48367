import { closeWithin } from './bounded-close';

describe('closeWithin', () => {
  it('resolves false without cutting when the close ends in time, also when it rejects', async () => {
    const cut = jest.fn();
    expect(await closeWithin(Promise.resolve(), 1000, cut)).toBe(false);
    expect(await closeWithin(Promise.reject(new Error('connection refused')), 1000, cut)).toBe(false);
    expect(cut).not.toHaveBeenCalled();
  });

  it('cuts and resolves true once the time is over, without waiting for a close that never ends', async () => {
    const cut = jest.fn();
    expect(await closeWithin(new Promise(() => undefined), 10, cut)).toBe(true);
    expect(cut).toHaveBeenCalledTimes(1);
  });
});
