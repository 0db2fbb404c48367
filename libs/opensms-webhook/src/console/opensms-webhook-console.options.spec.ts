import { InvalidConsoleOptionsError } from '../errors/invalid-console-options.error';
import { consolePath, resolveConsoleOptions } from './opensms-webhook-console.options';

describe('resolveConsoleOptions', () => {
  const authorize = () => 'amina';

  it('applies the defaults', () => {
    expect(resolveConsoleOptions({ authorize }, { guards: [] })).toEqual({
      authorize,
      challenge: undefined,
      csrfSecret: undefined,
      pageSize: 50,
      replayLimit: 10_000,
      guarded: false,
    });
  });

  it('takes guards alone as the access check', () => {
    expect(resolveConsoleOptions({}, { guards: [{ canActivate: () => true }] }).guarded).toBe(true);
  });

  it('names every problem at once, an open console first', () => {
    let error: unknown;
    try {
      resolveConsoleOptions({ pageSize: 0, replayLimit: 1.5, challenge: 'Basic\nrealm', csrfSecret: 'short' }, { guards: [] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidConsoleOptionsError);
    expect((error as InvalidConsoleOptionsError).problems).toEqual([
      expect.stringContaining('never open by default'),
      'pageSize must be a whole number from 1 to 500',
      'replayLimit must be a whole number of at least 1',
      expect.stringContaining('challenge must be a printable header value'),
      expect.stringContaining('csrfSecret must be a string of at least 16 characters'),
    ]);
  });

  it('refuses an authorize that is not a function', () => {
    expect(() => resolveConsoleOptions({ authorize: 'yes' as never }, { guards: [] })).toThrow(/authorize must be a function/);
  });
});

describe('consolePath', () => {
  it('trims slashes and refuses an empty route', () => {
    expect(consolePath('/admin/opensms/')).toBe('admin/opensms');
    expect(() => consolePath('/')).toThrow(InvalidConsoleOptionsError);
  });
});
