/**
 * The manifest's maxBatchSize for the animal models (Triton's max_batch_size). Darknet-Tiny at 224x224
 * is compute-bound on a CPU core: `npm run bench -- inference` measured 155-159 photos/s at batch 8 and
 * 141-150 at batch 32 for the served cascade (76-78 against 68-72 for the full model alone), so batches
 * past 8 only add waiting.
 */
export const IMAGE_MODEL_MAX_BATCH_SIZE = 8;
