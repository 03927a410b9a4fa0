const SVG = 'http://www.w3.org/2000/svg';

/** A line chart of one series over time, with a dashed threshold line. */
export function chart<T extends { at: number }>(points: T[], value: (p: T) => number, threshold: number | undefined, title: string, fixedMax?: number): SVGSVGElement {
  const w = 320;
  const hgt = 90;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('class', 'mon-chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  const vals = points.map(value);
  const max = fixedMax ?? Math.max(threshold ?? 0, ...vals, 1e-9) * 1.1;
  const t0 = points[0]?.at ?? 0;
  const t1 = Math.max(t0 + 1, points[points.length - 1]?.at ?? 1);
  const x = (t: number) => 4 + ((t - t0) / (t1 - t0)) * (w - 8);
  const y = (v: number) => hgt - 14 - (v / max) * (hgt - 24);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.map((p, i) => `${x(p.at).toFixed(1)},${y(vals[i]).toFixed(1)}`).join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', '#4c78a8');
  line.setAttribute('stroke-width', '2');
  svg.append(line);
  if (threshold !== undefined) {
    const th = document.createElementNS(SVG, 'line');
    th.setAttribute('x1', '0');
    th.setAttribute('x2', String(w));
    th.setAttribute('y1', y(threshold).toFixed(1));
    th.setAttribute('y2', y(threshold).toFixed(1));
    th.setAttribute('stroke', '#e45756');
    th.setAttribute('stroke-dasharray', '4 3');
    svg.append(th);
  }
  const label = document.createElementNS(SVG, 'text');
  label.setAttribute('x', '4');
  label.setAttribute('y', String(hgt - 2));
  label.setAttribute('font-size', '10');
  label.textContent = `${title}: ${vals.length ? vals[vals.length - 1].toFixed(3) : '–'}`;
  svg.append(label);
  return svg;
}

