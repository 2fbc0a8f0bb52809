// The terminal client's one-line failure (no usage text, no stack).

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}
