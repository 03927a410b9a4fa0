/**
 * The one audio format inside streamlens: mono Int16 PCM at 16 kHz, in chunks of 100 ms. Every source
 * resamples to it (ffmpeg, the dashboard's Web Audio resampling), the gateway accepts only it, the feature
 * extractors and the models' manifests (features.sampleRate) are built for it.
 */
export const PIPELINE_SAMPLE_RATE = 16000;
/** Samples per chunk: 100 ms at PIPELINE_SAMPLE_RATE. */
export const CHUNK_SAMPLES = PIPELINE_SAMPLE_RATE / 10;
