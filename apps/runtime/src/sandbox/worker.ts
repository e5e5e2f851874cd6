// The sandbox worker thread: loads QuickJS once and answers one command at a time. It runs off the
// main thread so a long budget never holds up webhooks, and the pool can terminate it as a last resort.
import { parentPort, workerData } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import variant from '@jitl/quickjs-wasmfile-release-sync';
import type { SandboxCommand } from '@flowdesk/engine';
import { QuickJsSandbox } from './quickjs.ts';
import type { SandboxLimits } from './limits.ts';

const port = parentPort;
if (!port) throw new Error('the sandbox worker runs in a worker thread');
const sandbox = new QuickJsSandbox(await newQuickJSWASMModuleFromVariant(variant), (workerData as { limits: SandboxLimits }).limits);
port.on('message', (m: { id: number; cmd: SandboxCommand }) => {
  port.postMessage({ id: m.id, result: sandbox.run(m.cmd) });
});
port.postMessage({ ready: true });
