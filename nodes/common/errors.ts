/** Bad usage or config: the CLI prints the one-line message and exits 64. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message);
  }
}
