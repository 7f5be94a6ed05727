/**
 * One GET route's latest answer, or the message of its latest error; `refresh`
 * asks again. An error clears the answer, so a panel never shows stale data as
 * if it were current.
 */
export class Resource<T> {
  constructor(private readonly fetch: () => Promise<T>) {}

  get data(): T | null {
    return this._data;
  }

  get error(): string | null {
    return this._error;
  }

  async refresh(): Promise<void> {
    try {
      this._data = await this.fetch();
      this._error = null;
    } catch (reason) {
      this._data = null;
      this._error = (reason as Error).message;
    }
  }

  private _data: T | null = null;
  private _error: string | null = null;
}
