/** Another running process owns the embedded PostgreSQL folder. */
export class EmbeddedPostgresFolderInUseError extends Error {
  constructor(folder: string, owner: number) {
    super(
      `The embedded PostgreSQL in ${folder} belongs to process ${owner}, which is still running. ` +
        'Stop that process first, or give this one another folder with OPENSMS_EMBEDDED_DIR.',
    );
    this.name = 'EmbeddedPostgresFolderInUseError';
  }
}
