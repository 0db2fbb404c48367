import { ConsoleCsrfTokens } from './console-csrf.tokens';

describe('ConsoleCsrfTokens', () => {
  const alice = 'Basic YWxpY2U6dG9rZW4=\nalice';

  it('verifies its own token for the credential it was issued to, and nothing else', () => {
    const tokens = new ConsoleCsrfTokens({});
    const token = tokens.issue(alice);
    expect(token).toMatch(/^[\w-]{22}\.[\w-]{43}$/);
    expect(tokens.verify(token, alice)).toBe(true);
    expect(tokens.verify(token, 'Basic Ym9iOnRva2Vu\nbob')).toBe(false);
    expect(tokens.verify(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, alice)).toBe(false);
    expect(tokens.verify(token.replace('.', ''), alice)).toBe(false);
    expect(tokens.issue(alice)).not.toBe(token);
  });

  it('refuses the tokens of another instance, unless both were given the same csrfSecret', () => {
    const token = new ConsoleCsrfTokens({}).issue(alice);
    expect(new ConsoleCsrfTokens({}).verify(token, alice)).toBe(false);

    const csrfSecret = 'shared-console-secret-0123';
    const shared = new ConsoleCsrfTokens({ csrfSecret }).issue(alice);
    expect(new ConsoleCsrfTokens({ csrfSecret }).verify(shared, alice)).toBe(true);
    expect(new ConsoleCsrfTokens({ csrfSecret: `${csrfSecret}x` }).verify(shared, alice)).toBe(false);
  });
});
