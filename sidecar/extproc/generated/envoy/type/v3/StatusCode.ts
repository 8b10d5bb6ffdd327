// Original file: protos/envoy/type/v3/http_status.proto

export const StatusCode = {
  Empty: 'Empty',
  OK: 'OK',
  BadRequest: 'BadRequest',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  MethodNotAllowed: 'MethodNotAllowed',
  PayloadTooLarge: 'PayloadTooLarge',
  UnsupportedMediaType: 'UnsupportedMediaType',
  TooManyRequests: 'TooManyRequests',
  InternalServerError: 'InternalServerError',
  BadGateway: 'BadGateway',
  ServiceUnavailable: 'ServiceUnavailable',
  GatewayTimeout: 'GatewayTimeout',
} as const;

export type StatusCode =
  | 'Empty'
  | 0
  | 'OK'
  | 200
  | 'BadRequest'
  | 400
  | 'Unauthorized'
  | 401
  | 'Forbidden'
  | 403
  | 'NotFound'
  | 404
  | 'MethodNotAllowed'
  | 405
  | 'PayloadTooLarge'
  | 413
  | 'UnsupportedMediaType'
  | 415
  | 'TooManyRequests'
  | 429
  | 'InternalServerError'
  | 500
  | 'BadGateway'
  | 502
  | 'ServiceUnavailable'
  | 503
  | 'GatewayTimeout'
  | 504

export type StatusCode__Output = typeof StatusCode[keyof typeof StatusCode]
