import { gaussianKde, type KdeBandwidth, linspace } from '../../analysis/kde.js';
import type { EnrichedCourse } from '../../features/course/enrich.js';

/**
 * Gaussian kernel density estimates (Scott's rule) of the samples the course report draws as
 * histograms, each evaluated on `points` evenly spaced points over the histogram's pooled range.
 */
export interface SampleDensity {
  n: number;
  factor: number;
  bandwidth: number;
  x: number[];
  density: number[];
}

export interface CourseHistogram {
  name: string;
  title: string;
  xTitle: string;
  bins: number;
  samples: Record<string, number[]>;
  densities: Record<string, SampleDensity>;
}

type Course = EnrichedCourse;
const logSubs = (r: Course) => Math.log1p(r.numSubscribers ?? 0);

/** The report's histograms: log1p(subscribers) paid vs free, price, log1p(lectures), log1p(content hours). */
export const COURSE_HISTOGRAMS: readonly { name: string; title: string; xTitle: string; bins: number; samples: (rs: readonly Course[]) => Record<string, number[]> }[] = [
  {
    name: 'log1p_subscribers_by_price_type',
    title: 'log1p(subscribers): paid vs free',
    xTitle: 'log1p(num_subscribers)',
    bins: 30,
    samples: (rs) => ({ paid: rs.filter((r) => !r.isFree).map(logSubs), free: rs.filter((r) => r.isFree).map(logSubs) }),
  },
  { name: 'price', title: 'price', xTitle: 'price (USD)', bins: 40, samples: (rs) => ({ all: rs.map((r) => r.price) }) },
  { name: 'log1p_lectures', title: 'log1p(lectures)', xTitle: 'log1p(num_lectures)', bins: 30, samples: (rs) => ({ all: rs.map((r) => Math.log1p(r.numLectures)) }) },
  { name: 'log1p_content_hours', title: 'log1p(content hours)', xTitle: 'log1p(content_duration hours)', bins: 30, samples: (rs) => ({ all: rs.map((r) => Math.log1p(r.contentDurationHours)) }) },
];

export function courseHistograms(records: readonly Course[], options: { bandwidth?: KdeBandwidth; points?: number } = {}): CourseHistogram[] {
  const points = options.points ?? 200;
  return COURSE_HISTOGRAMS.map((h) => {
    const samples = h.samples(records);
    const pooled = Object.values(samples).flat();
    const x = linspace(Math.min(...pooled), Math.max(...pooled), points);
    const densities = Object.fromEntries(
      Object.entries(samples).map(([g, v]) => {
        const kde = gaussianKde(v, options.bandwidth ?? 'scott');
        return [g, { n: kde.n, factor: kde.factor, bandwidth: kde.bandwidth, x, density: kde.evaluate(x) }];
      }),
    );
    return { name: h.name, title: h.title, xTitle: h.xTitle, bins: h.bins, samples, densities };
  });
}
