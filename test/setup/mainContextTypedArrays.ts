/**
 * Jest runs each test file in its own vm context with its own Float32Array & co., while
 * onnxruntime-node (the embedder) returns typed arrays made in Node's main context, which
 * onnxruntime-common's `instanceof` checks then reject ("A float32 tensor's data must be
 * type of Float32Array"). Every test file therefore uses the main context's typed arrays,
 * set here before any module loads. Not needed outside jest.
 */
import vm from 'node:vm';

for (const name of [
  'Float32Array',
  'Float64Array',
  'Int8Array',
  'Uint8Array',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
]) {
  (globalThis as Record<string, unknown>)[name] = vm.runInThisContext(name);
}
