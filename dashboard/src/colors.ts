/** Stable colours per label (the eight RAVDESS emotions get fixed ones; others hash to a hue). */
const FIXED: Record<string, string> = {
  neutral: '#9aa5b1',
  calm: '#4fb3bf',
  happy: '#f5c542',
  sad: '#4c7bd9',
  angry: '#e5484d',
  fearful: '#9b6dd6',
  disgust: '#6cae4a',
  surprised: '#f08c2e',
  silence: '#3a4250',
  unknown: '#6b7280',
};

export function labelColor(label: string): string {
  const fixed = FIXED[label];
  if (fixed) return fixed;
  let hash = 0;
  for (let i = 0; i < label.length; i++) hash = (hash * 31 + label.charCodeAt(i)) >>> 0;
  return `hsl(${hash % 360} 60% 55%)`;
}
