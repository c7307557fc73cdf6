/** Base class of the errors of the stock repositories: catch this one to catch them all. */
export abstract class StockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
