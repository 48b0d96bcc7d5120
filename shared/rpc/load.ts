import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadSync, type MethodDefinition, type PackageDefinition, type ServiceDefinition } from '@grpc/proto-loader';
import type { RpcServiceDef } from './rpc';

/** A unary method as proto-loader describes it (request and response as plain objects). */
export type AnyMethod = MethodDefinition<Record<string, unknown>, Record<string, unknown>>;

/** A loaded service: its grpc-js definition and its methods by lowerCamel name. */
export interface LoadedService {
  name: string;
  definition: ServiceDefinition;
  /** lowerCamel method name (e.g. 'lookupDevices') -> method. */
  methods: Map<string, AnyMethod>;
}

const PROTO_SUBDIR = join('proto', 'herald', 'v1');
const files = new Map<string, PackageDefinition>();
let root: string | undefined;

/**
 * The folder that holds proto/herald/v1: the nearest ancestor of this file that has it, so the
 * same code finds it from sources (shared/rpc/ under tsx) and from dist/shared/rpc/.
 */
export function protoRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, PROTO_SUBDIR))) return (root = join(dir, 'proto'));
    const up = dirname(dir);
    if (up === dir) throw new Error(`rpc: no ${PROTO_SUBDIR} folder above ${__dirname}`);
    dir = up;
  }
}

/** Loads (once) proto/herald/v1/<file> with the project's options: camelCase, longs as numbers, enums as strings, bytes as Buffer. */
export function loadProto(file: string): PackageDefinition {
  let pkg = files.get(file);
  if (!pkg) {
    const dir = protoRoot();
    const path = join(dir, 'herald', 'v1', file);
    if (!existsSync(path)) throw new Error(`rpc: proto file ${path} does not exist`);
    pkg = loadSync(path, {
      keepCase: false,
      longs: Number,
      enums: String,
      bytes: Buffer,
      defaults: true,
      arrays: true,
      oneofs: true,
      includeDirs: [dir],
    });
    files.set(file, pkg);
  }
  return pkg;
}

function isService(obj: unknown): obj is ServiceDefinition {
  if (!obj || typeof obj !== 'object' || 'format' in obj) return false;
  return Object.values(obj).every((m) => m && typeof m === 'object' && 'path' in m && 'requestSerialize' in m);
}

/** Finds a service of a proto file; throws with a clear message when it is not there. */
export function loadService(def: RpcServiceDef): LoadedService {
  const obj = loadProto(def.file)[def.name];
  if (!isService(obj)) throw new Error(`rpc: ${def.file} has no service ${def.name}`);
  const methods = new Map<string, AnyMethod>();
  for (const [name, method] of Object.entries(obj)) {
    const m = method as AnyMethod;
    if (m.requestStream || m.responseStream) continue;
    methods.set(m.originalName ?? name[0].toLowerCase() + name.slice(1), m);
  }
  return { name: def.name, definition: obj, methods };
}

/** 'herald.v1.Register' -> 'register': the short name used in error messages. */
export function shortName(serviceName: string): string {
  const last = serviceName.slice(serviceName.lastIndexOf('.') + 1);
  return last[0].toLowerCase() + last.slice(1);
}
