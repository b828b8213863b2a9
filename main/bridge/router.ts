// Dispatches contract requests to their handlers. Shared by the Electron IPC shell
// and the WebSocket bridge so both answer identically: unknown methods, bad params
// and handler failures all become an ApiErrorDto, never a thrown exception.
import {
  ApiError,
  isMethod,
  type ApiErrorDto,
  type Method,
  type ParamsOf,
  type ResultOf,
  type WireResponse,
} from '../../preload/contract.js';

export type Handlers = { [M in Method]: (params: ParamsOf<M>) => Promise<ResultOf<M>> | ResultOf<M> };

/** Turns the untrusted params of a request into the typed params, or throws ApiError('BAD_REQUEST'). */
export type ParamCheckers = { [M in Method]: (params: unknown) => ParamsOf<M> };

export interface Router {
  handle(method: unknown, params: unknown): Promise<WireResponse>;
}

export function createRouter(handlers: Handlers, checkers: ParamCheckers): Router {
  return {
    async handle(method, params) {
      try {
        if (!isMethod(method)) {
          throw new ApiError('BAD_REQUEST', `Unknown method ${JSON.stringify(method)}.`);
        }
        const typed = checkers[method](params) as never;
        const result = await (handlers[method] as (p: never) => unknown)(typed);
        return { ok: true, result: result as object };
      } catch (err) {
        return { ok: false, error: toErrorDto(err) };
      }
    },
  };
}

export function toErrorDto(err: unknown): ApiErrorDto {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}

/** Checker for methods that take no parameters. */
export function noParams(params: unknown): null {
  if (params !== null && params !== undefined) {
    throw new ApiError('BAD_REQUEST', 'This method takes no parameters.');
  }
  return null;
}
