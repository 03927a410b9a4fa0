/**
 * Writes the demo clips used by `npm start` (streamlens.example.yaml) into assets/demo/: four
 * RAVDESS speech clips (different actors and emotions) converted by the bundled ffmpeg to 16 kHz
 * mono 16-bit WAV, plus ATTRIBUTION.md. RAVDESS is CC BY-NC-SA 4.0 (non-commercial, attribution).
 *
 *   npx tsx scripts/make-demo-clips.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, requireDataPath } from '../src/core/paths.js';
import { ffmpegPath } from '../src/ingest/ffmpeg-path.js';
import { parseRavdessName } from '../src/training/speech/datasets.js';

const CLIPS = [
  'Actor_01/03-01-05-02-01-01-01.wav', // angry, strong, male
  'Actor_02/03-01-03-02-01-01-02.wav', // happy, strong, female
  'Actor_05/03-01-04-02-02-01-05.wav', // sad, strong, male
  'Actor_08/03-01-08-02-01-01-08.wav', // surprised, strong, female
];

const root = requireDataPath('ravdess', 'RAVDESS speech data');
const out = join(repoRoot, 'assets', 'demo');
mkdirSync(out, { recursive: true });
const rows: string[] = [];
CLIPS.forEach((rel, i) => {
  const src = join(root, rel);
  const clip = parseRavdessName(src);
  if (!clip) throw new Error(`${rel} is not a RAVDESS file name`);
  const dest = join(out, `speech-${i + 1}.wav`);
  execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-i', src, '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', '-map_metadata', '-1', '-fflags', '+bitexact', dest]);
  rows.push(`| speech-${i + 1}.wav | ${rel.split('/')[1]} | ${clip.emotion} | ${clip.info?.intensity} | actor ${clip.info?.actor} (${clip.gender}) | ${statSync(dest).size} bytes |`);
});
writeFileSync(
  join(out, 'ATTRIBUTION.md'),
  `# Demo audio clips

Made by \`scripts/make-demo-clips.ts\` (converted to 16 kHz mono 16-bit WAV with ffmpeg; otherwise unchanged).

| file | original RAVDESS file | emotion | intensity | speaker | size |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Source: The Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS), speech part.
Livingstone SR, Russo FA (2018) The Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS):
A dynamic, multimodal set of facial and vocal expressions in North American English. PLoS ONE 13(5): e0196391.
https://doi.org/10.1371/journal.pone.0196391 — https://zenodo.org/record/1188976

Licence: Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International (CC BY-NC-SA 4.0),
https://creativecommons.org/licenses/by-nc-sa/4.0/. These clips may be used for non-commercial purposes
only, with this attribution, and shared under the same licence. They are not covered by this repository's
MIT licence.
`,
);
console.log(rows.join('\n'));
