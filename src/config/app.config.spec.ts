import { validateAppConfig } from './app.config';
import { InvalidAppConfigError } from './invalid-app-config.error';

describe('validateAppConfig: OPENSMS_CONSOLE_TOKEN', () => {
  const environment = { OPENSMS_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' };
  const withToken = (token: string) => () => validateAppConfig({ ...environment, OPENSMS_CONSOLE_TOKEN: token });

  it('refuses a token shorter than 16 characters, naming the rule and how to make one', () => {
    expect(withToken('short')).toThrow(InvalidAppConfigError);
    expect(withToken('short')).toThrow(/OPENSMS_CONSOLE_TOKEN must be at least 16 characters.*openssl rand -base64 24/);
  });

  it('refuses a long token of few distinct characters', () => {
    for (const token of ['aaaaaaaaaaaaaaaa', 'abababababababababababab', '1234567123456712345671234567']) {
      expect(withToken(token)).toThrow(InvalidAppConfigError);
      expect(withToken(token)).toThrow(/OPENSMS_CONSOLE_TOKEN must have at least 8 different characters.*openssl rand -base64 24/);
    }
  });

  it('takes a random token', () => {
    expect(validateAppConfig({ ...environment, OPENSMS_CONSOLE_TOKEN: 'q3Vx9+Lm2TzR0pWb7Yk1Hs4N' }).OPENSMS_CONSOLE_TOKEN).toBe(
      'q3Vx9+Lm2TzR0pWb7Yk1Hs4N',
    );
    expect(validateAppConfig({ ...environment, OPENSMS_CONSOLE_TOKEN: 'example-console-token-0123' }).OPENSMS_CONSOLE_TOKEN).toBe(
      'example-console-token-0123',
    );
  });
});
