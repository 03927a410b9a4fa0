/** The settings a course model was fitted with, as its bundle records them (training/course/candidates.ts fits them). */
export type Algorithm =
  | 'logistic-regression'
  | 'decision-tree'
  | 'random-forest'
  | 'gradient-boosting'
  | 'oblivious-boosting'
  | 'linear-svm'
  | 'knn'
  | 'naive-bayes'
  | 'linear-regression'
  | 'blend'
  | 'subscriber-score';

/** Which columns a model sees: numeric block, TF-IDF block, or both. */
export type FeatureView = 'all' | 'numeric' | 'text';

export interface CandidateParams {
  view?: FeatureView;
  C?: number;
  alpha?: number;
  k?: number;
  weights?: 'uniform' | 'distance';
  metric?: 'euclidean' | 'cosine';
  maxDepth?: number | null;
  minSamplesLeaf?: number;
  trees?: number;
  maxFeatures?: number | 'sqrt';
  /** TF-IDF columns (most frequent terms) offered to tree models. */
  treeTerms?: number;
  /** Gradient boosting: rounds (trees), shrinkage, row fraction per round. */
  rounds?: number;
  learningRate?: number;
  subsample?: number;
  /** Oblivious boosting: L2 regularisation of the leaf values. */
  l2?: number;
  /** Blend: weight of the first member (the second gets 1 - weight) and the members' own settings. */
  weight?: number;
  members?: BlendMember[];
  /** Subscriber score (popularity): the regression of log1p(subscribers) whose prediction is the score. */
  base?: BlendMember;
  [key: string]: unknown;
}

/** One member of a blend: a regression family and its settings (the blend's view). */
export interface BlendMember {
  algorithm: Algorithm;
  params: CandidateParams;
}
