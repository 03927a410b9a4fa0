import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

/** The one label set every speech-emotion dataset is mapped to. */
export const EMOTION_LABELS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'] as const;
export type Emotion = (typeof EMOTION_LABELS)[number];
export const GENDER_LABELS = ['female', 'male'] as const;
export type Gender = (typeof GENDER_LABELS)[number];

export type DatasetName = 'ravdess' | 'crema-d' | 'tess' | 'savee' | 'folders';

/** One labelled clip. `speaker` is unique across datasets (prefixed with the dataset name). */
export interface SpeechClip {
  path: string;
  dataset: DatasetName;
  emotion: Emotion;
  speaker: string;
  gender?: Gender;
  /** Dataset-specific extras (RAVDESS intensity, statement...). */
  info?: Record<string, string>;
}

const RAVDESS_EMOTIONS: Record<string, Emotion> = {
  '01': 'neutral',
  '02': 'calm',
  '03': 'happy',
  '04': 'sad',
  '05': 'angry',
  '06': 'fearful',
  '07': 'disgust',
  '08': 'surprised',
};

/** RAVDESS `MM-VV-EE-II-SS-RR-AA.wav`; actor odd = male. Null for names that are not RAVDESS. */
export function parseRavdessName(path: string): SpeechClip | null {
  const m = /^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.wav$/i.exec(basename(path));
  if (!m) return null;
  const [, modality, vocal, emo, intensity, statement, repetition, actor] = m;
  const emotion = RAVDESS_EMOTIONS[emo];
  if (!emotion) throw new Error(`RAVDESS file ${basename(path)}: unknown emotion code ${emo} (01-08 expected)`);
  const actorNo = Number(actor);
  if (actorNo < 1) throw new Error(`RAVDESS file ${basename(path)}: actor ${actor} must be >= 01`);
  return {
    path,
    dataset: 'ravdess',
    emotion,
    speaker: `ravdess-${actor}`,
    gender: actorNo % 2 === 1 ? 'male' : 'female',
    info: { modality, vocalChannel: vocal, intensity: intensity === '02' ? 'strong' : 'normal', statement, repetition, actor },
  };
}

const CREMA_EMOTIONS: Record<string, Emotion> = { ANG: 'angry', DIS: 'disgust', FEA: 'fearful', HAP: 'happy', NEU: 'neutral', SAD: 'sad' };

/** CREMA-D `1001_DFA_ANG_XX.wav` (speaker_sentence_emotion_level). Gender is not in the name (it is in VideoDemographics.csv). */
export function parseCremaDName(path: string): SpeechClip | null {
  const m = /^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{1,2}|\d+)\.wav$/i.exec(basename(path));
  if (!m) return null;
  const [, speaker, sentence, emo, level] = m;
  const emotion = CREMA_EMOTIONS[emo.toUpperCase()];
  if (!emotion) throw new Error(`CREMA-D file ${basename(path)}: unknown emotion code ${emo} (ANG, DIS, FEA, HAP, NEU, SAD expected)`);
  return { path, dataset: 'crema-d', emotion, speaker: `crema-d-${speaker}`, info: { sentence: sentence.toUpperCase(), level: level.toUpperCase() } };
}

const TESS_EMOTIONS: Record<string, Emotion> = {
  angry: 'angry',
  disgust: 'disgust',
  fear: 'fearful',
  fearful: 'fearful',
  happy: 'happy',
  neutral: 'neutral',
  sad: 'sad',
  ps: 'surprised',
  surprise: 'surprised',
  surprised: 'surprised',
  'pleasant_surprise': 'surprised',
  'pleasant_surprised': 'surprised',
};

/** TESS `OAF_back_angry.wav` / `YAF_...` (label = suffix, else the folder `OAF_Pleasant_surprise`); speakers OAF/YAF, both female. */
export function parseTessName(path: string): SpeechClip | null {
  const m = /^(OAF|YAF)_([A-Za-z]+)_([A-Za-z_]+)\.wav$/i.exec(basename(path));
  if (!m) return null;
  const [, speaker, word, suffix] = m;
  let emotion = TESS_EMOTIONS[suffix.toLowerCase()];
  if (!emotion) {
    const folder = basename(dirname(path)).toLowerCase().replace(/^(oaf|yaf)_/, '');
    emotion = TESS_EMOTIONS[folder];
  }
  if (!emotion) throw new Error(`TESS file ${basename(path)}: cannot tell the emotion from "${suffix}" or its folder`);
  return { path, dataset: 'tess', emotion, speaker: `tess-${speaker.toUpperCase()}`, gender: 'female', info: { word: word.toLowerCase() } };
}

const SAVEE_EMOTIONS: Record<string, Emotion> = { a: 'angry', d: 'disgust', f: 'fearful', h: 'happy', n: 'neutral', sa: 'sad', su: 'surprised' };
const SAVEE_SPEAKERS = new Set(['DC', 'JE', 'JK', 'KL']);

/** SAVEE `DC_a01.wav` (or `DC/a01.wav`); speakers DC, JE, JK, KL, all male. */
export function parseSaveeName(path: string): SpeechClip | null {
  const name = basename(path);
  let m = /^([A-Z]{2})_(sa|su|a|d|f|h|n)(\d{2})\.wav$/i.exec(name);
  let speaker: string | undefined;
  let code: string | undefined;
  if (m) {
    speaker = m[1].toUpperCase();
    code = m[2].toLowerCase();
  } else {
    m = /^(sa|su|a|d|f|h|n)(\d{2})\.wav$/i.exec(name);
    const folder = basename(dirname(path)).toUpperCase();
    if (m && SAVEE_SPEAKERS.has(folder)) {
      speaker = folder;
      code = m[1].toLowerCase();
    }
  }
  if (!speaker || !code || !SAVEE_SPEAKERS.has(speaker)) return null;
  return { path, dataset: 'savee', emotion: SAVEE_EMOTIONS[code], speaker: `savee-${speaker}`, gender: 'male' };
}

const LABEL_ALIASES: Record<string, Emotion> = {
  ...Object.fromEntries(EMOTION_LABELS.map((l) => [l, l])),
  fear: 'fearful',
  disgusted: 'disgust',
  surprise: 'surprised',
  anger: 'angry',
  happiness: 'happy',
  sadness: 'sad',
  ...TESS_EMOTIONS,
};

/** Maps a free-form label (folder name) to the shared label set, or null. */
export function normaliseEmotionLabel(raw: string): Emotion | null {
  return LABEL_ALIASES[raw.toLowerCase().trim()] ?? null;
}

/**
 * Generic layout: `<root>/<label>/<file>` or `<root>/<speaker>/<label>/<file>`. The speaker is the
 * folder above the label when there is one, else the file name's prefix before the first "_" or "-".
 */
export function parseFolderLayout(root: string, path: string): SpeechClip | null {
  const parts = relative(root, path).split(/[\\/]/);
  if (parts.length < 2) return null;
  const emotion = normaliseEmotionLabel(parts[parts.length - 2]);
  if (!emotion) return null;
  const file = parts[parts.length - 1];
  const speaker = parts.length >= 3 ? parts[parts.length - 3] : (/^([^_-]+)[_-]/.exec(file)?.[1] ?? 'unknown');
  return { path, dataset: 'folders', emotion, speaker: `folders-${speaker}` };
}

const AUDIO_EXTENSIONS = /\.(wav|flac|ogg|opus|mp3|m4a|aac|webm)$/i;

function listAudioFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (AUDIO_EXTENSIONS.test(name)) out.push(p);
    }
  };
  walk(root);
  return out;
}

const NAME_PARSERS: [DatasetName, (p: string) => SpeechClip | null][] = [
  ['ravdess', parseRavdessName],
  ['crema-d', parseCremaDName],
  ['tess', parseTessName],
  ['savee', parseSaveeName],
];

export interface ScanResult {
  clips: SpeechClip[];
  /** Audio files no adapter recognised. */
  skipped: string[];
}

/**
 * Finds labelled clips under `root` (recursively), each file through the first adapter that
 * recognises its name (RAVDESS, CREMA-D, TESS, SAVEE), else the folder-per-label layout.
 * `only` restricts to one adapter. Throws when `root` is missing or holds no recognised clip.
 */
export function scanSpeechDataset(root: string, only?: DatasetName): ScanResult {
  if (!existsSync(root)) throw new Error(`speech data folder not found: ${root}`);
  const clips: SpeechClip[] = [];
  const skipped: string[] = [];
  for (const p of listAudioFiles(root)) {
    let clip: SpeechClip | null = null;
    for (const [name, parse] of NAME_PARSERS) {
      if (only && only !== name) continue;
      clip = parse(p);
      if (clip) break;
    }
    if (!clip && (!only || only === 'folders')) clip = parseFolderLayout(root, p);
    if (clip) clips.push(clip);
    else skipped.push(p);
  }
  if (clips.length === 0) {
    throw new Error(
      `no labelled speech clips found under ${root}` +
        (skipped.length ? ` (${skipped.length} audio files with names no adapter recognises, e.g. ${basename(skipped[0])})` : ' (no audio files)'),
    );
  }
  return { clips, skipped };
}
