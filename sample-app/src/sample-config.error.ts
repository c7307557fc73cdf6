/** A setting of the sample app that cannot work: which variable, what it was, what it accepts. */
export class SampleConfigError extends Error {
  constructor(
    /** The environment variable. */
    readonly variable: string,
    /** The value it had. */
    readonly value: string,
    /** What it accepts. */
    readonly expected: string,
  ) {
    super(`${variable}=${JSON.stringify(value)} cannot work: set it to ${expected}.`);
    this.name = 'SampleConfigError';
  }
}
