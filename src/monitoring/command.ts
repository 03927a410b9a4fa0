import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCourseDataset } from '../features/course/course-dataset.js';
import { IMAGE_EXTENSIONS } from '../ingest/image-dataset.js';
import { resolveModel, type ModelVersion } from '../models/model-repository.js';
import { audioBatch, courseBatch, imageBatch, listFiles, type MonitoredBatch } from './batch.js';
import { detectDrift, type DriftOptions, type DriftReport } from './detect.js';
import { loadReference, mediaOf } from './shipped.js';
import type { Media, ModelReference } from './reference.js';
import { renderDriftReportHtml } from './html-report.js';
import { DEFAULT_MODEL_BY_MEDIA } from '../core/route.js';

/** The model a media kind is monitored against by default: the one its streams are served by. */
export const DEFAULT_MODEL: Record<Media, string> = { audio: DEFAULT_MODEL_BY_MEDIA.audio, image: DEFAULT_MODEL_BY_MEDIA.video, course: DEFAULT_MODEL_BY_MEDIA.course };

export class MonitorInputError extends Error {
  override name = 'MonitorInputError';
}

/** "name", "name@3" -> the version (highest that loads, or the pinned one). */
export function resolveMonitoredModel(media: Media, spec?: string): ModelVersion {
  const [name, version] = (spec ?? DEFAULT_MODEL[media]).split('@');
  const v = resolveModel(name, version || undefined);
  if (mediaOf(v) !== media) throw new MonitorInputError(`model ${name} takes ${mediaOf(v)} input, not ${media}`);
  return v;
}

/** The batch `streamlens monitor` compares; images also get the backbone-embedding features of the reference's summary. */
export async function monitoredBatch(v: ModelVersion, media: Media, data: string, ref?: ModelReference): Promise<MonitoredBatch> {
  if (!existsSync(data)) throw new MonitorInputError(`--data ${data} does not exist`);
  if (media === 'course') {
    if (!statSync(data).isFile()) throw new MonitorInputError(`--data for course must be a CSV file`);
    const ds = loadCourseDataset(data, { referenceDate: (v.manifest.features.settings as { referenceDate?: string }).referenceDate });
    return courseBatch(v, ds.records);
  }
  const files = listFiles(data, media === 'audio' ? /\.wav$/i : IMAGE_EXTENSIONS);
  if (files.length === 0) throw new MonitorInputError(`--data ${data} holds no ${media === 'audio' ? 'WAV files' : 'images'}`);
  return media === 'audio' ? audioBatch(v, files) : imageBatch(v, files, { embedding: ref?.embedding });
}

export interface MonitorResult extends DriftReport {
  items: number;
  data: string;
}

/** Compares a batch with the model's training reference; the object `streamlens monitor` prints. */
export async function runMonitor(media: Media, o: { data: string; model?: string; out?: string } & DriftOptions): Promise<MonitorResult> {
  const v = resolveMonitoredModel(media, o.model);
  const ref = loadReference(v);
  if (!ref) throw new MonitorInputError(`model ${v.manifest.name} v${v.manifest.version} has no training reference (run: npx tsx scripts/build-references.ts ${v.manifest.name})`);
  const b = await monitoredBatch(v, media, o.data, ref);
  const report = detectDrift(ref, b.observations, b.predictions, o);
  const result: MonitorResult = { ...report, items: b.items, data: o.data };
  if (o.out) writeHtml(o.out, ref, b, result);
  return result;
}

function writeHtml(dir: string, ref: ModelReference, b: MonitoredBatch, r: MonitorResult): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'monitor-report.html'), renderDriftReportHtml(ref, b.observations, r));
  writeFileSync(join(dir, 'monitor-report.json'), `${JSON.stringify(r, null, 2)}\n`);
}
