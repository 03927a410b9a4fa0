/**
 * Training backend selection for TensorFlow.js. Order of preference: tfjs-node-gpu, tfjs-node
 * (both optional native packages, imported only if installed), the wasm backend (with the gradient
 * kernels it lacks registered first, .wasm files loaded from node_modules on disk), then the pure
 * JS cpu backend.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fixCpuAvgPoolGrad, registerWasmGradientKernels } from './tfjs-wasm-kernels.js';

/** 'auto' tries the backends in order of speed; the others force one (and fail if unavailable). */
export type TrainingBackendPreference = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface TrainingBackendInfo {
  /** tfjs backend name now active: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  /** Where it came from: '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'. */
  source: string;
  /** Gradient kernels registered (added or replaced) on wasm by this call. */
  registeredKernels: string[];
  /** Why preferred backends were skipped. */
  skipped: string[];
}

export interface InitTrainingBackendOptions {
  /** Where the one line naming the chosen backend goes (default console.error). */
  log?: (line: string) => void;
}

const require = createRequire(import.meta.url);

/** Folder holding tfjs-backend-wasm's .wasm binaries (with a trailing slash, as setWasmPaths wants). */
export function wasmBinaryDir(): string {
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/';
}

let wasmPathsSet = false;

/**
 * Register the wasm backend (imported lazily: once imported it becomes tfjs's highest-priority
 * backend, which would break code that uses tf ops before `await tf.ready()`), point it at the
 * .wasm files on disk, and register its missing/fixed gradient kernels. Returns the kernel names
 * registered by this call.
 */
export async function prepareWasmBackend(): Promise<string[]> {
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet) {
    setWasmPaths(wasmBinaryDir());
    wasmPathsSet = true;
  }
  return registerWasmGradientKernels('wasm');
}

async function tryNativePackage(pkg: string): Promise<string | null> {
  try {
    // A variable specifier keeps bundlers and tsc from resolving the optional package.
    const specifier: string = pkg;
    await import(specifier);
    return null;
  } catch (err) {
    return `${pkg} not importable (${(err as Error).message.split('\n')[0]})`;
  }
}

async function activate(name: string): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Pick and activate the fastest available tfjs training backend, log one line naming it, and
 * return what was chosen. Safe to call more than once.
 */
export async function initTrainingBackend(
  preferred: TrainingBackendPreference = 'auto',
  options: InitTrainingBackendOptions = {},
): Promise<TrainingBackendInfo> {
  const log = options.log ?? ((line: string) => console.error(line));
  const skipped: string[] = [];
  const candidates: Array<Exclude<TrainingBackendPreference, 'auto'>> =
    preferred === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [preferred];
  for (const candidate of candidates) {
    if (candidate === 'tensorflow-gpu' || candidate === 'tensorflow') {
      const pkg = candidate === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      const why = await tryNativePackage(pkg);
      if (why != null) {
        skipped.push(why);
        continue;
      }
      if (await activate('tensorflow')) {
        log(`[streamlens] tfjs training backend: tensorflow (${pkg})`);
        return { backend: 'tensorflow', source: pkg, registeredKernels: [], skipped };
      }
      skipped.push(`${pkg} imported but the 'tensorflow' backend did not start`);
      continue;
    }
    if (candidate === 'wasm') {
      const registeredKernels = await prepareWasmBackend();
      if (await activate('wasm')) {
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        log(
          `[streamlens] tfjs training backend: wasm (@tensorflow/tfjs-backend-wasm, simd=${simd ? 'on' : 'off'}, ` +
            `added gradient kernels: ${registeredKernels.length ? registeredKernels.join(', ') : 'already registered'})`,
        );
        return { backend: 'wasm', source: '@tensorflow/tfjs-backend-wasm', registeredKernels, skipped };
      }
      skipped.push('wasm backend failed to initialise');
      continue;
    }
    if (await activate('cpu')) {
      fixCpuAvgPoolGrad();
      log('[streamlens] tfjs training backend: cpu (@tensorflow/tfjs-backend-cpu, pure JavaScript: slow)');
      return { backend: 'cpu', source: '@tensorflow/tfjs-backend-cpu', registeredKernels: [], skipped };
    }
    skipped.push('cpu backend failed to initialise');
  }
  throw new Error(`initTrainingBackend('${preferred}'): no usable tfjs backend. ${skipped.join('; ')}`);
}
