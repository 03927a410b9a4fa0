import type { CandidateParams, FeatureView } from './candidate-params.js';
import type { CourseModelJson } from './course-model.js';
import type { FeatureSpaceJson } from '../../features/course/feature-space.js';

/** The three course tasks a bundle serves. */
export type CourseTaskName = 'subject' | 'popularity' | 'subscribers';

/** The shipped course models: models/course/<version>/model.json. */
export const COURSE_BUNDLE_FORMAT = 'streamlens-course-models';

export interface ShippedTaskJson {
  task: CourseTaskName;
  includeReviews: boolean;
  kind: 'classification' | 'regression';
  algorithm: string;
  params: CandidateParams;
  view: FeatureView;
  labels: string[];
  /** Popularity: num_subscribers >= threshold is popular (75th percentile of the training data). */
  threshold?: number;
  /** Subscribers: the model predicts log1p(num_subscribers). */
  target?: 'log1p';
  featureSpace: FeatureSpaceJson;
  /** Column means of the training design matrix (reference of linear SHAP). */
  means: number[];
  model: CourseModelJson;
}

export interface CourseBundleJson {
  format: typeof COURSE_BUNDLE_FORMAT;
  formatVersion: 1;
  referenceDate: string;
  subject: ShippedTaskJson;
  popularity: ShippedTaskJson;
  subscribers: ShippedTaskJson;
}
