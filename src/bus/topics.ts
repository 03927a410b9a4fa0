/** One topic per stage, keyed by stream id. */
export const TOPICS = {
  audioChunks: 'audio.chunks',
  audioWindows: 'audio.windows',
  videoFrames: 'video.frames',
  videoTensors: 'video.tensors',
  coursesRaw: 'courses.raw',
  coursesEnriched: 'courses.enriched',
  predictions: 'predictions',
} as const;
export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** Dead-letter topic of a stage's input topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export const DEFAULT_PARTITIONS = 4;

export function allTopics(partitions = DEFAULT_PARTITIONS): { name: string; partitions: number }[] {
  const names = Object.values(TOPICS);
  return [...names, ...names.filter((n) => n !== TOPICS.predictions).map(deadLetterTopic)].map((name) => ({ name, partitions }));
}
