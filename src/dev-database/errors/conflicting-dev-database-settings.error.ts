/** `--embedded` (or OPENSMS_EMBEDDED) together with an explicit server setting: one of them must go. */
export class ConflictingDevDatabaseSettingsError extends Error {
  constructor(variables: readonly string[]) {
    super(
      `--embedded / OPENSMS_EMBEDDED asks for the embedded PostgreSQL without Redis, but ${variables.join(' and ')} ` +
        `${variables.length > 1 ? 'are' : 'is'} set too. Unset ${variables.join(' and ')}, or drop --embedded.`,
    );
    this.name = 'ConflictingDevDatabaseSettingsError';
  }
}
