/**
 * JSON Patch (RFC 6902) applied to a copy of a resource, so a PATCH can be decided on what the
 * resource will look like afterwards: a patch that moves an Observation to another patient must be
 * permitted by both patients. Pointers follow RFC 6901. The upstream still applies the patch itself;
 * this copy is only for the decision, and the write is pinned to the version it was computed from.
 */
import { CustosError } from '../errors.js';
import { isJsonObject } from './json-object.js';

type Json = unknown;

interface Operation {
  readonly op: string;
  readonly path: string;
  readonly from?: string;
  readonly value?: Json;
}

/** The patched copy of `document`; throws INVALID_REQUEST naming the operation that does not apply. */
export function applyJsonPatch(document: Json, patch: unknown): Json {
  if (!Array.isArray(patch)) throw invalid('a JSON Patch body must be an array of operations (RFC 6902)');
  let doc = structuredClone(document);
  patch.forEach((raw: unknown, index) => {
    const op = readOperation(raw, index);
    switch (op.op) {
      case 'add':
        doc = put(doc, op.path, structuredClone(op.value), 'add', index);
        break;
      case 'replace':
        get(doc, op.path, index);
        doc = put(doc, op.path, structuredClone(op.value), 'replace', index);
        break;
      case 'remove':
        doc = remove(doc, op.path, index);
        break;
      case 'move': {
        const value = get(doc, op.from!, index);
        doc = remove(doc, op.from!, index);
        doc = put(doc, op.path, value, 'add', index);
        break;
      }
      case 'copy':
        doc = put(doc, op.path, structuredClone(get(doc, op.from!, index)), 'add', index);
        break;
      case 'test':
        if (JSON.stringify(get(doc, op.path, index)) !== JSON.stringify(op.value)) throw invalid(`JSON Patch operation ${index} (test) failed`);
        break;
      default:
        throw invalid(`JSON Patch operation ${index} has an unknown op`);
    }
  });
  return doc;
}

function readOperation(raw: unknown, index: number): Operation {
  if (typeof raw !== 'object' || raw === null) throw invalid(`JSON Patch operation ${index} is not an object`);
  const op = raw as Record<string, unknown>;
  if (typeof op['op'] !== 'string' || typeof op['path'] !== 'string') throw invalid(`JSON Patch operation ${index} needs "op" and "path"`);
  if ((op['op'] === 'move' || op['op'] === 'copy') && typeof op['from'] !== 'string') throw invalid(`JSON Patch operation ${index} needs "from"`);
  if ((op['op'] === 'add' || op['op'] === 'replace' || op['op'] === 'test') && !('value' in op)) throw invalid(`JSON Patch operation ${index} needs "value"`);
  return op as unknown as Operation;
}

function tokens(pointer: string, index: number): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw invalid(`JSON Patch operation ${index} has a path that is not a JSON Pointer`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(doc: Json, pointer: string, index: number): Json {
  let node = doc;
  for (const token of tokens(pointer, index)) {
    if (Array.isArray(node) && /^(0|[1-9]\d*)$/.test(token) && Number(token) < node.length) node = node[Number(token)];
    else if (isJsonObject(node) && Object.hasOwn(node, token)) node = node[token];
    else throw invalid(`JSON Patch operation ${index} refers to a path that does not exist`);
  }
  return node;
}

function parentOf(doc: Json, pointer: string, index: number): { parent: Json; key: string } {
  const all = tokens(pointer, index);
  const key = all.pop()!;
  return { parent: get(doc, all.length === 0 ? '' : '/' + all.map((t) => t.replace(/~/g, '~0').replace(/\//g, '~1')).join('/'), index), key };
}

function put(doc: Json, pointer: string, value: Json, mode: 'add' | 'replace', index: number): Json {
  if (pointer === '') return value;
  const { parent, key } = parentOf(doc, pointer, index);
  if (Array.isArray(parent)) {
    const at = key === '-' ? parent.length : /^(0|[1-9]\d*)$/.test(key) ? Number(key) : -1;
    if (at < 0 || at > parent.length || (mode === 'replace' && at >= parent.length)) throw invalid(`JSON Patch operation ${index} has an array index out of range`);
    if (mode === 'add') parent.splice(at, 0, value);
    else parent[at] = value;
  } else if (isJsonObject(parent)) {
    if (key === '__proto__') throw invalid(`JSON Patch operation ${index} has a forbidden path`);
    parent[key] = value;
  } else {
    throw invalid(`JSON Patch operation ${index} targets inside a value that is not an object or array`);
  }
  return doc;
}

function remove(doc: Json, pointer: string, index: number): Json {
  get(doc, pointer, index);
  const { parent, key } = parentOf(doc, pointer, index);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else delete (parent as Record<string, unknown>)[key];
  return doc;
}


function invalid(message: string): CustosError {
  return new CustosError('INVALID_REQUEST', message);
}
