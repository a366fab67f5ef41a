// Types of mcproxy-module.mjs for TypeScript module authors (docs/MODULES.md).
export declare const PROTOCOL_VERSION: string;

export interface MessageContext {
  /** The server the module sits in front of (client level), or null at proxy level. */
  server: string | null;
  /** The client session's short label; null for the proxy's own requests (list refreshes). */
  session: string | null;
  /** The authenticated identity, or null without auth. */
  identity?: string | null;
  protocolVersion?: string;
  correlationId: number;
  traceId?: string;
}

export interface RequestMessage {
  method: string;
  params: Record<string, unknown>;
  context: MessageContext;
}

export interface ResultMessage extends RequestMessage {
  result: Record<string, unknown>;
}

export type Action =
  | { action: 'continue' }
  | { action: 'replace'; params: Record<string, unknown> }
  | { action: 'replace'; result: Record<string, unknown> }
  | { action: 'respond'; result: Record<string, unknown> }
  | { action: 'respond'; error: { code: number; message: string; data?: unknown } };

export declare function proceed(): Action;
export declare function replaceParams(params: Record<string, unknown>): Action;
export declare function replaceResult(result: Record<string, unknown>): Action;
export declare function respond(result: Record<string, unknown>): Action;
export declare function refuse(message: string, code?: number, data?: unknown): Action;

export interface ModuleDefinition {
  name: string;
  version?: string;
  /** MCP methods whose requests the module sees ("*" for all). */
  requests?: string[];
  /** MCP methods whose results the module sees ("*" for all). */
  results?: string[];
  onInitialize?(config: Record<string, unknown>, site: string | null): void | Promise<void>;
  onRequest?(message: RequestMessage): Action | Promise<Action>;
  onResult?(message: ResultMessage): Action | Promise<Action>;
}

export declare function runModule(definition: ModuleDefinition): void;

/** Serves the module over HTTP (a remote module); resolves the node:http server. */
export declare function serveModule(
  definition: ModuleDefinition,
  options?: { port?: number; host?: string; authorize?(headers: Record<string, string | string[] | undefined>): boolean | Promise<boolean> },
): Promise<import('node:http').Server>;
