/** An error that becomes an HTTP answer {error: {code, message}} with its status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, code = 'bad_request'): HttpError => new HttpError(400, code, message);
export const unauthorized = (message = 'missing or bad API key'): HttpError => new HttpError(401, 'unauthorized', message);
export const forbidden = (message: string): HttpError => new HttpError(403, 'forbidden', message);
export const notFound = (message: string, code = 'not_found'): HttpError => new HttpError(404, code, message);
